"""Day-ahead electricity prices: ENTSO-E client and parser, the price series, tariffs, analysis."""
