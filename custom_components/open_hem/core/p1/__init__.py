"""P1 smart meter ("inzicht"): telegrams, dongle payloads and HomeWizard, read locally."""
