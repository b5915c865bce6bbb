// Open HEM plan card: the plan of open_hem.get_plan drawn as one SVG, no dependencies, no build.
//
//   type: custom:open-hem-plan-card
//   title: Energy plan          # optional
//   entity: sensor.open_hem_plan_status   # optional: refresh when it changes (found by itself)
//   grid_limit_w: 17250         # optional: when the plan does not say its grid limit
//
// It asks Home Assistant for the plan through the websocket (call_service with
// return_response) on start, every minute, and whenever the plan status entity changes. It draws
// the import and export prices, every device's planned power stacked with the base load and the
// PV, the grid power and the grid limit, battery SOC and temperatures, where the plan departs
// from the baseline (when the plan has per-slot baseline data), and "now". It follows the theme's
// CSS variables and the user's language (English, Dutch).

const VERSION = "0.1.0";
const REFRESH_MS = 60 * 1000;

const TEXTS = {
  en: {
    title: "Energy plan",
    prices: "Price (€/kWh)",
    power: "Power (kW)",
    state: "State",
    import_price: "Import price",
    export_price: "Export price",
    base_load: "Base load",
    pv: "Solar",
    pv_forecast: "Solar forecast",
    grid: "Grid",
    grid_limit: "Grid limit",
    off_scale: "off scale",
    baseline: "Grid without plan",
    departs: "Plan departs from the baseline",
    soc: "{name} charge (%)",
    indoor: "{name} indoor (°C)",
    tank: "{name} tank (°C)",
    now: "now",
    loading: "Loading the plan…",
    no_plan: "No plan yet. Open HEM makes one as soon as it knows the prices and your devices.",
    error: "The plan could not be loaded.",
    not_running: "Open HEM's planner is not running: the action open_hem.get_plan is missing.",
    cost: "Cost {cost}",
    baseline_cost: "without plan {cost}",
    saving: "saves {saving}",
    unmet: "Not met",
    made: "Made at {time}",
    status_optimal: "optimal",
    status_relaxed: "relaxed",
    status_time_limit: "best found in time",
    status_baseline: "baseline only",
    card_name: "Open HEM plan",
    card_description: "Open HEM's plan: prices, devices, battery and temperatures over the horizon.",
  },
  nl: {
    title: "Energieplan",
    prices: "Prijs (€/kWh)",
    power: "Vermogen (kW)",
    state: "Toestand",
    import_price: "Afnameprijs",
    export_price: "Terugleverprijs",
    base_load: "Basisverbruik",
    pv: "Zonnepanelen",
    pv_forecast: "Zonverwachting",
    grid: "Net",
    grid_limit: "Netlimiet",
    off_scale: "buiten beeld",
    baseline: "Net zonder plan",
    departs: "Plan wijkt af van het basisplan",
    soc: "{name} lading (%)",
    indoor: "{name} binnen (°C)",
    tank: "{name} boiler (°C)",
    now: "nu",
    loading: "Plan laden…",
    no_plan: "Nog geen plan. Open HEM maakt er een zodra de prijzen en je apparaten bekend zijn.",
    error: "Het plan kon niet worden geladen.",
    not_running: "De planner van Open HEM draait niet: de actie open_hem.get_plan ontbreekt.",
    cost: "Kosten {cost}",
    baseline_cost: "zonder plan {cost}",
    saving: "bespaart {saving}",
    unmet: "Niet gehaald",
    made: "Gemaakt om {time}",
    status_optimal: "optimaal",
    status_relaxed: "versoepeld",
    status_time_limit: "beste binnen de tijd",
    status_baseline: "alleen basisplan",
    card_name: "Open HEM-plan",
    card_description: "Het plan van Open HEM: prijzen, apparaten, batterij en temperaturen.",
  },
};

// Colours: Home Assistant's theme variables first, then its defaults.
const COLOURS = {
  import_price: "var(--energy-grid-consumption-color, #488fc2)",
  export_price: "var(--energy-grid-return-color, #8353d1)",
  base_load: "var(--secondary-text-color, #727272)",
  pv: "var(--energy-solar-color, #ff9800)",
  grid: "var(--primary-text-color, #212121)",
  limit: "var(--error-color, #db4437)",
  baseline: "var(--secondary-text-color, #727272)",
  departs: "var(--warning-color, #ffa600)",
  now: "var(--primary-color, #03a9f4)",
  battery: "var(--energy-battery-out-color, #4db6ac)",
  heat: "var(--red-color, #f44336)",
  ev: "var(--indigo-color, #3f51b5)",
};
const PALETTE = [
  "var(--cyan-color, #00bcd4)",
  "var(--purple-color, #926bc7)",
  "var(--lime-color, #cddc39)",
  "var(--brown-color, #795548)",
  "var(--teal-color, #009688)",
  "var(--pink-color, #e91e63)",
];

const W = 720;
const LEFT = 52;
const RIGHT = 52;
const PLOT_W = W - LEFT - RIGHT;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));
}

function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

function ticks(min, max, count) {
  const step = niceStep(max - min, count);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return { step, values: out };
}

function extent(values, pad = 0.08) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const margin = (hi - lo) * pad;
  return [lo - margin, hi + margin];
}

// What kind of device a name is, from what the plan says about it.
function deviceKind(name, values) {
  if (values.some((v) => v && v.soc_pct != null)) return "battery";
  if (values.some((v) => v && (v.indoor_c != null || v.tank_c != null))) return "heat";
  const powers = values.map((v) => (v ? Number(v.power_w) || 0 : 0));
  if (/(^|[^a-z])(pv|solar|zon)/i.test(name) || (powers.some((p) => p < 0) && powers.every((p) => p <= 0))) {
    return "pv";
  }
  if (/(^|[^a-z])(ev|car|auto|laad|charg)/i.test(name)) return "ev";
  return "other";
}

// The plan in the card's terms (numbers as numbers, times as ms).
export function analysePlan(plan) {
  const slots = (plan.slots || []).map((s) => ({
    start: Date.parse(s.start),
    end: Date.parse(s.end),
    importPrice: Number(s.import_price),
    exportPrice: Number(s.export_price),
    grid: Number(s.grid_w) || 0,
    base: Number(s.base_load_w) || 0,
    pv: Math.abs(Number(s.pv_w) || 0),
    baseline: s.baseline_grid_w == null ? null : Number(s.baseline_grid_w),
    devices: s.devices || {},
  }));
  const names = [];
  for (const slot of slots) {
    for (const name of Object.keys(slot.devices)) if (!names.includes(name)) names.push(name);
  }
  let other = 0;
  const devices = names.map((name) => {
    const values = slots.map((s) => s.devices[name]);
    const kind = deviceKind(name, values);
    const colour = COLOURS[kind] || PALETTE[other++ % PALETTE.length];
    return {
      name,
      kind,
      colour: kind === "pv" ? COLOURS.pv : colour,
      power: values.map((v) => (v ? Number(v.power_w) || 0 : 0)),
      soc: values.map((v) => (v && v.soc_pct != null ? Number(v.soc_pct) : null)),
      indoor: values.map((v) => (v && v.indoor_c != null ? Number(v.indoor_c) : null)),
      tank: values.map((v) => (v && v.tank_c != null ? Number(v.tank_c) : null)),
    };
  });
  // Is the PV among the devices (then pv_w is its forecast) or only in pv_w? Whichever
  // reading balances grid = base load + devices (- PV) better.
  let withPv = 0;
  let withoutPv = 0;
  slots.forEach((s, i) => {
    const sum = devices.reduce((acc, d) => acc + d.power[i], 0);
    withPv += Math.abs(s.grid - s.base - sum);
    withoutPv += Math.abs(s.grid - s.base - sum + s.pv);
  });
  const pvIsDevice = devices.some((d) => d.kind === "pv") || withPv <= withoutPv;
  return { slots, devices, pvIsDevice, hasBaseline: slots.some((s) => s.baseline != null) };
}

class OpenHemPlanCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._plan = undefined; // undefined: not loaded yet; null: no plan
    this._error = null;
    this._loading = false;
    this._timer = null;
    this._statusState = undefined;
  }

  static getStubConfig() {
    return {};
  }

  setConfig(config) {
    if (config == null || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    const entity = this._statusEntity();
    const state = entity ? hass.states[entity] : undefined;
    const changed = state !== undefined && this._statusState !== undefined && state !== this._statusState;
    this._statusState = state;
    if (first || changed) this._fetch();
    else if (this._lang !== this._language()) this._render();
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    if (!this._timer) this._timer = setInterval(() => this._fetch(), REFRESH_MS);
    if (this._hass && this._plan === undefined) this._fetch();
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    this._timer = null;
  }

  getCardSize() {
    return 8;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: 8, min_rows: 6 };
  }

  _statusEntity() {
    if (this._config.entity) return this._config.entity;
    const hass = this._hass;
    const registry = hass.entities || {};
    const found = Object.keys(registry).find(
      (id) => registry[id].platform === "open_hem" && /plan/.test(registry[id].translation_key || ""),
    );
    return found || Object.keys(hass.states || {}).find((id) => /^sensor\.open_hem.*plan.*status/.test(id));
  }

  _language() {
    const hass = this._hass || {};
    const lang = ((hass.locale && hass.locale.language) || hass.language || "en").toLowerCase();
    return lang.split(/[-_]/)[0] in TEXTS ? lang.split(/[-_]/)[0] : "en";
  }

  _t(key, values = {}) {
    const texts = TEXTS[this._language()];
    return format(texts[key] ?? TEXTS.en[key] ?? key, values);
  }

  async _fetch() {
    if (!this._hass || this._loading) return;
    this._loading = true;
    try {
      const result = await this._hass.callWS({
        type: "call_service",
        domain: "open_hem",
        service: "get_plan",
        service_data: {},
        return_response: true,
      });
      const plan = result && "response" in result ? result.response : result;
      this._plan = plan && Array.isArray(plan.slots) && plan.slots.length ? plan : null;
      this._error = null;
    } catch (err) {
      this._error = err || {};
    } finally {
      this._loading = false;
      this._render();
    }
  }

  _timeZone() {
    const hass = this._hass || {};
    if (hass.locale && hass.locale.time_zone === "server" && hass.config && hass.config.time_zone) {
      return hass.config.time_zone;
    }
    return undefined; // the browser's
  }

  _render() {
    if (!this.shadowRoot) return;
    this._lang = this._language();
    const title = this._config.title || this._t("title");
    let body;
    if (this._error) {
      const code = this._error.code || "";
      const message = code === "service_not_found" || code === "not_found"
        ? this._t("not_running")
        : this._error.message || String(this._error);
      body = `<div class="message error" role="alert"><b>${escapeHtml(this._t("error"))}</b><br>${escapeHtml(message)}</div>`;
    } else if (this._plan === undefined) {
      body = `<div class="message">${escapeHtml(this._t("loading"))}</div>`;
    } else if (this._plan === null) {
      body = `<div class="message empty">${escapeHtml(this._t("no_plan"))}</div>`;
    } else {
      try {
        body = this._planHtml(this._plan);
      } catch (err) {
        body = `<div class="message error" role="alert"><b>${escapeHtml(this._t("error"))}</b><br>${escapeHtml(err.message || err)}</div>`;
      }
    }
    this.shadowRoot.innerHTML = `<style>${STYLE}</style>
      <ha-card lang="${this._lang}">
        <div class="header"><span class="title">${escapeHtml(title)}</span>${this._summaryHtml()}</div>
        ${body}
      </ha-card>`;
  }

  _number(value, digits) {
    return new Intl.NumberFormat(this._lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }

  // Hour format as the user chose it in their profile (12/24 h), else the language's.
  _hourCycle() {
    const format = this._hass && this._hass.locale && this._hass.locale.time_format;
    if (format === "24") return { hourCycle: "h23" };
    if (format === "12") return { hourCycle: "h12" };
    return {};
  }

  _money(value) {
    return new Intl.NumberFormat(this._lang, { style: "currency", currency: "EUR" }).format(value);
  }

  _summaryHtml() {
    const plan = this._plan;
    if (!plan || this._error) return "";
    const parts = [];
    if (plan.status) {
      parts.push(`<span class="chip status-${escapeHtml(plan.status)}">${escapeHtml(this._t(`status_${plan.status}`))}</span>`);
    }
    if (Number.isFinite(plan.cost_eur)) {
      let cost = this._t("cost", { cost: this._money(plan.cost_eur) });
      if (Number.isFinite(plan.baseline_cost_eur)) {
        cost += ` · ${this._t("baseline_cost", { cost: this._money(plan.baseline_cost_eur) })}`;
        const saving = plan.baseline_cost_eur - plan.cost_eur;
        if (saving > 0.005) cost += ` · ${this._t("saving", { saving: this._money(saving) })}`;
      }
      parts.push(`<span class="cost">${escapeHtml(cost)}</span>`);
    }
    return `<span class="summary">${parts.join(" ")}</span>`;
  }

  _planHtml(plan) {
    const data = analysePlan(plan);
    const { slots } = data;
    const t0 = slots[0].start;
    const t1 = slots[slots.length - 1].end;
    const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * PLOT_W;
    const parts = [];
    const legend = [];
    let top = 6;

    // --- prices ---
    const priceH = 96;
    const prices = slots.flatMap((s) => [s.importPrice, s.exportPrice]);
    const [pLo, pHi] = extent([...prices, 0]);
    const py = (v) => top + priceH - ((v - pLo) / (pHi - pLo)) * priceH;
    parts.push(this._axis(top, priceH, pLo, pHi, py, (v) => this._number(v, 2), this._t("prices"), "left"));
    parts.push(`<line class="zero" x1="${LEFT}" x2="${W - RIGHT}" y1="${py(0)}" y2="${py(0)}"/>`);
    for (const [key, field] of [["import_price", "importPrice"], ["export_price", "exportPrice"]]) {
      parts.push(`<path class="line series" data-series="${key}" stroke="${COLOURS[key]}" d="${stepPath(slots, field, x, py)}"/>`);
      legend.push([this._t(key), COLOURS[key], "line"]);
    }
    top += priceH + 22;

    // --- power: stacked areas, grid line, limit, baseline ---
    const powerH = 170;
    const stacks = [];
    stacks.push({ key: "base_load", label: this._t("base_load"), colour: COLOURS.base_load, values: slots.map((s) => s.base), opacity: 0.35 });
    if (!data.pvIsDevice) stacks.push({ key: "pv", label: this._t("pv"), colour: COLOURS.pv, values: slots.map((s) => -s.pv), opacity: 0.55 });
    for (const d of data.devices) stacks.push({ key: `device:${d.name}`, label: d.name, colour: d.colour, values: d.power, opacity: 0.7 });
    const positive = slots.map(() => 0);
    const negative = slots.map(() => 0);
    const bands = stacks.map((stack) => {
      const rects = stack.values.map((v, i) => {
        const base = v >= 0 ? positive[i] : negative[i];
        if (v >= 0) positive[i] += v;
        else negative[i] += v;
        return [base, base + v];
      });
      return { ...stack, rects };
    });
    const limits = this._limits(plan, slots);
    const dataValues = [...positive, ...negative, ...slots.map((s) => s.grid), ...slots.map((s) => s.baseline ?? 0)];
    if (data.pvIsDevice) dataValues.push(...slots.map((s) => -s.pv));
    let [wLo, wHi] = extent([...dataValues, 0], 0.06);
    const span = wHi - wLo;
    const shown = [];
    for (const limit of limits) {
      const inRange = limit.value > 0 ? limit.value <= wHi + span : -limit.value >= wLo - span;
      if (inRange) {
        if (limit.value > 0) wHi = Math.max(wHi, limit.value * 1.04);
        else wLo = Math.min(wLo, limit.value * 1.04);
      }
      shown.push({ ...limit, inRange });
    }
    const wy = (v) => top + powerH - ((v - wLo) / (wHi - wLo)) * powerH;
    if (data.hasBaseline) {
      const threshold = Math.max(50, 0.02 * (wHi - wLo));
      const departing = slots.filter((s) => s.baseline != null && Math.abs(s.grid - s.baseline) > threshold);
      const d = departing.map((s) => `M${x(s.start).toFixed(1)} ${top}H${x(s.end).toFixed(1)}V${top + powerH}H${x(s.start).toFixed(1)}Z`).join("");
      parts.push(`<path class="departs series" data-series="departs" fill="${COLOURS.departs}" d="${d}"/>`);
      legend.push([this._t("departs"), COLOURS.departs, "band"]);
    }
    parts.push(this._axis(top, powerH, wLo / 1000, wHi / 1000, (v) => wy(v * 1000), (v) => this._number(v, Math.abs(wHi - wLo) < 4000 ? 1 : 0), this._t("power"), "left"));
    for (const band of bands) {
      const d = band.rects
        .map(([a, b], i) => (a === b ? "" : `M${x(slots[i].start).toFixed(1)} ${wy(a).toFixed(1)}H${x(slots[i].end).toFixed(1)}V${wy(b).toFixed(1)}H${x(slots[i].start).toFixed(1)}Z`))
        .join("");
      parts.push(`<path class="area series" data-series="${escapeHtml(band.key)}" fill="${band.colour}" fill-opacity="${band.opacity}" d="${d}"><title>${escapeHtml(band.label)}</title></path>`);
      legend.push([band.label, band.colour, "area", band.opacity]);
    }
    if (data.pvIsDevice && slots.some((s) => s.pv > 0)) {
      const d = stepPath(slots.map((s) => ({ ...s, minusPv: -s.pv })), "minusPv", x, wy);
      parts.push(`<path class="line dashed series" data-series="pv_forecast" stroke="${COLOURS.pv}" d="${d}"/>`);
      legend.push([this._t("pv_forecast"), COLOURS.pv, "dashed"]);
    }
    parts.push(`<line class="zero" x1="${LEFT}" x2="${W - RIGHT}" y1="${wy(0)}" y2="${wy(0)}"/>`);
    if (data.hasBaseline) {
      parts.push(`<path class="line dotted series" data-series="baseline" stroke="${COLOURS.baseline}" d="${stepPath(slots.filter((s) => s.baseline != null), "baseline", x, wy)}"/>`);
      legend.push([this._t("baseline"), COLOURS.baseline, "dotted"]);
    }
    parts.push(`<path class="line grid series" data-series="grid" stroke="${COLOURS.grid}" d="${stepPath(slots, "grid", x, wy)}"/>`);
    legend.push([this._t("grid"), COLOURS.grid, "line"]);
    for (const limit of shown) {
      const label = `${this._t("grid_limit")} ${(Math.abs(limit.value) / 1000).toLocaleString(this._lang, { maximumFractionDigits: 1 })} kW`;
      if (limit.inRange) {
        const y = wy(limit.value);
        parts.push(`<line class="limit series" data-series="grid_limit" stroke="${COLOURS.limit}" x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}"/>`);
        parts.push(`<text class="limit-label" x="${W - RIGHT - 4}" y="${limit.value > 0 ? y - 4 : y + 12}" text-anchor="end">${escapeHtml(label)}</text>`);
      } else {
        const y = limit.value > 0 ? top + 11 : top + powerH - 4;
        parts.push(`<text class="limit-label series" data-series="grid_limit" x="${W - RIGHT - 4}" y="${y}" text-anchor="end">${escapeHtml(`${limit.value > 0 ? "↑" : "↓"} ${label} (${this._t("off_scale")})`)}</text>`);
      }
    }
    if (shown.length) legend.push([this._t("grid_limit"), COLOURS.limit, "dashed"]);
    top += powerH + 22;

    // --- state: SOC (left, %) and temperatures (right, °C) ---
    const socs = data.devices.filter((d) => d.soc.some((v) => v != null));
    const temps = data.devices.flatMap((d) => [
      ...(d.indoor.some((v) => v != null) ? [{ d, key: "indoor", values: d.indoor }] : []),
      ...(d.tank.some((v) => v != null) ? [{ d, key: "tank", values: d.tank }] : []),
    ]);
    if (socs.length || temps.length) {
      const stateH = 86;
      const sy = (v) => top + stateH - (v / 100) * stateH;
      parts.push(this._axis(top, stateH, 0, 100, sy, (v) => `${v}`, "%", "left", 4));
      socs.forEach((d) => {
        parts.push(`<path class="line series" data-series="soc:${escapeHtml(d.name)}" stroke="${d.colour}" d="${endPath(slots, d.soc, x, sy)}"/>`);
        legend.push([this._t("soc", { name: d.name }), d.colour, "line"]);
      });
      if (temps.length) {
        const [tLo, tHi] = extent(temps.flatMap((t) => t.values), 0.15);
        const ty = (v) => top + stateH - ((v - tLo) / (tHi - tLo)) * stateH;
        parts.push(this._axis(top, stateH, tLo, tHi, ty, (v) => this._number(v, niceStep(tHi - tLo, 4) < 1 ? 1 : 0), "°C", "right", 4));
        temps.forEach((temp, i) => {
          const colour = i === 0 ? temp.d.colour : PALETTE[(i + 2) % PALETTE.length];
          parts.push(`<path class="line dashed series" data-series="${temp.key}:${escapeHtml(temp.d.name)}" stroke="${colour}" d="${endPath(slots, temp.values, x, ty)}"/>`);
          legend.push([this._t(temp.key, { name: temp.d.name }), colour, "dashed"]);
        });
      }
      top += stateH + 6;
    }

    // --- time axis, now, hover titles ---
    const bottom = top;
    parts.push(this._timeAxis(t0, t1, x, bottom));
    const now = Date.now();
    if (now >= t0 && now <= t1) {
      const nx = x(now).toFixed(1);
      parts.push(`<g class="now" data-series="now"><line x1="${nx}" x2="${nx}" y1="2" y2="${bottom}" stroke="${COLOURS.now}"/><text x="${(x(now) + 3).toFixed(1)}" y="12" text-anchor="start">${escapeHtml(this._t("now"))}</text></g>`);
    }
    parts.push(this._hoverHtml(slots, data, x, bottom));
    const height = bottom + 34;
    const svg = `<svg viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(this._t("title"))}">${parts.join("")}</svg>`;
    const legendHtml = legend
      .map(([label, colour, style, opacity]) => `<span class="item"><i class="swatch ${style}" style="--c:${colour};--o:${opacity ?? 1}"></i>${escapeHtml(label)}</span>`)
      .join("");
    return `${svg}<div class="legend">${legendHtml}</div>${this._unmetHtml(plan)}${this._madeHtml(plan)}`;
  }

  _limits(plan, slots) {
    // The plan's own limit first (grid_limit_w: number or {import, export}), then the card's.
    const own = plan.grid_limit_w ?? this._config.grid_limit_w;
    if (own == null) return [];
    const imp = typeof own === "object" ? Number(own.import) : Number(own);
    const exp = typeof own === "object" ? Number(own.export) : Number(own);
    const out = [];
    if (Number.isFinite(imp) && imp > 0) out.push({ value: imp });
    if (Number.isFinite(exp) && exp > 0 && slots.some((s) => s.grid < 0)) out.push({ value: -exp });
    return out;
  }

  _axis(top, height, lo, hi, scale, label, title, side, count = 5) {
    const { values } = ticks(lo, hi, count);
    const x = side === "left" ? LEFT : W - RIGHT;
    const anchor = side === "left" ? "end" : "start";
    const dx = side === "left" ? -5 : 5;
    const out = [`<g class="axis ${side}">`];
    if (side === "left") {
      for (const v of values) {
        const y = scale(v).toFixed(1);
        out.push(`<line class="gridline" x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}"/>`);
      }
    }
    for (const v of values) {
      out.push(`<text x="${x + dx}" y="${(scale(v) + 3.5).toFixed(1)}" text-anchor="${anchor}">${escapeHtml(label(v))}</text>`);
    }
    const tx = side === "left" ? 4 : W - 4;
    out.push(`<text class="axis-title" x="${tx}" y="${top - 0}" text-anchor="${side === "left" ? "start" : "end"}" dy="-1">${escapeHtml(title)}</text>`);
    out.push(`<line class="frame" x1="${x}" x2="${x}" y1="${top}" y2="${top + height}"/>`);
    out.push("</g>");
    return out.join("");
  }

  _timeAxis(t0, t1, x, bottom) {
    const hours = (t1 - t0) / 3600000;
    const every = hours > 36 ? 6 : hours > 12 ? 3 : 1;
    const timeZone = this._timeZone();
    const hourFmt = new Intl.DateTimeFormat(this._lang, { hour: "2-digit", minute: "2-digit", timeZone, ...this._hourCycle() });
    const dayFmt = new Intl.DateTimeFormat(this._lang, { weekday: "short", day: "numeric", month: "short", timeZone });
    const hourOf = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
    const out = [`<g class="axis time"><line class="frame" x1="${LEFT}" x2="${W - RIGHT}" y1="${bottom}" y2="${bottom}"/>`];
    for (let t = Math.ceil(t0 / 3600000) * 3600000; t <= t1; t += 3600000) {
      const [h, m] = hourOf.format(t).split(":").map(Number);
      if (m !== 0 || h % every !== 0) continue;
      const tx = x(t).toFixed(1);
      const midnight = h === 0;
      out.push(`<line class="${midnight ? "midnight" : "tick"}" x1="${tx}" x2="${tx}" y1="${midnight ? 2 : bottom}" y2="${bottom + 4}"/>`);
      out.push(`<text x="${tx}" y="${bottom + 15}" text-anchor="middle">${escapeHtml(hourFmt.format(t))}</text>`);
      if (midnight) out.push(`<text class="day" x="${tx}" y="${bottom + 28}" text-anchor="middle">${escapeHtml(dayFmt.format(t))}</text>`);
    }
    out.push("</g>");
    return out.join("");
  }

  _hoverHtml(slots, data, x, bottom) {
    const timeZone = this._timeZone();
    const fmt = new Intl.DateTimeFormat(this._lang, { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone, ...this._hourCycle() });
    const kw = (w) => `${(w / 1000).toLocaleString(this._lang, { maximumFractionDigits: 2 })} kW`;
    const out = ['<g class="hover">'];
    slots.forEach((s, i) => {
      const lines = [
        `${fmt.format(s.start)}–${fmt.format(s.end).split(" ").pop()}`,
        `${this._t("import_price")}: ${s.importPrice.toFixed(3)} · ${this._t("export_price")}: ${s.exportPrice.toFixed(3)}`,
        `${this._t("grid")}: ${kw(s.grid)} · ${this._t("base_load")}: ${kw(s.base)} · ${this._t("pv")}: ${kw(s.pv)}`,
        ...data.devices.map((d) => `${d.name}: ${kw(d.power[i])}${d.soc[i] != null ? ` · ${d.soc[i].toFixed(0)} %` : ""}${d.indoor[i] != null ? ` · ${d.indoor[i].toFixed(1)} °C` : ""}${d.tank[i] != null ? ` · ${d.tank[i].toFixed(1)} °C` : ""}`),
      ];
      out.push(`<rect x="${x(s.start).toFixed(1)}" y="0" width="${Math.max(x(s.end) - x(s.start), 0.5).toFixed(1)}" height="${bottom}"><title>${escapeHtml(lines.join("\n"))}</title></rect>`);
    });
    out.push("</g>");
    return out.join("");
  }

  _unmetHtml(plan) {
    const unmet = Array.isArray(plan.unmet) ? plan.unmet : [];
    if (!unmet.length) return "";
    const items = unmet
      .map((u) => `<li><b>${escapeHtml(u.device ?? "")}</b> ${escapeHtml(u.wish ?? "")}${u.shortfall != null ? ` (${escapeHtml(u.shortfall)})` : ""}${u.reason ? `: ${escapeHtml(u.reason)}` : ""}</li>`)
      .join("");
    return `<div class="unmet"><b>${escapeHtml(this._t("unmet"))}</b><ul>${items}</ul></div>`;
  }

  _madeHtml(plan) {
    const made = Date.parse(plan.created);
    if (!Number.isFinite(made)) return "";
    const fmt = new Intl.DateTimeFormat(this._lang, { hour: "2-digit", minute: "2-digit", timeZone: this._timeZone(), ...this._hourCycle() });
    return `<div class="made">${escapeHtml(this._t("made", { time: fmt.format(made) }))}</div>`;
  }
}

// A step line through every slot's value: flat over the slot, vertical at its end.
function stepPath(slots, field, x, y) {
  let d = "";
  let last = null;
  for (const s of slots) {
    const v = s[field];
    if (!Number.isFinite(v)) {
      last = null;
      continue;
    }
    const x0 = x(s.start).toFixed(1);
    const x1 = x(s.end).toFixed(1);
    const yv = y(v).toFixed(1);
    d += last === s.start ? `V${yv}H${x1}` : `M${x0} ${yv}H${x1}`;
    last = s.end;
  }
  return d;
}

// A line through states given at slot ends (SOC, temperature).
function endPath(slots, values, x, y) {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v == null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(slots[i].end).toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

const STYLE = `
  :host { display: block; }
  ha-card {
    display: block;
    padding: 12px 12px 8px;
    color: var(--primary-text-color, #212121);
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px);
    border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
    font-family: var(--ha-font-family-body, var(--paper-font-body1_-_font-family, Roboto, sans-serif));
  }
  .header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; margin: 0 4px 6px; }
  .title { font-size: var(--ha-card-header-font-size, 20px); font-weight: 500; }
  .summary { color: var(--secondary-text-color, #727272); font-size: 13px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
  .chip { border: 1px solid var(--divider-color, #e0e0e0); border-radius: 10px; padding: 0 8px; font-size: 12px; }
  .chip.status-optimal { color: var(--success-color, #43a047); border-color: currentColor; }
  .chip.status-baseline, .chip.status-time_limit { color: var(--warning-color, #ffa600); border-color: currentColor; }
  svg { display: block; width: 100%; height: auto; overflow: visible; }
  svg text { fill: var(--secondary-text-color, #727272); font-size: 10px; }
  svg .axis-title { fill: var(--primary-text-color, #212121); font-size: 10.5px; font-weight: 500; }
  svg .day { fill: var(--primary-text-color, #212121); }
  svg .gridline { stroke: var(--divider-color, #e0e0e0); stroke-width: 0.6; }
  svg .frame, svg .tick { stroke: var(--divider-color, #e0e0e0); stroke-width: 1; }
  svg .midnight { stroke: var(--divider-color, #e0e0e0); stroke-width: 1; stroke-dasharray: 2 3; }
  svg .zero { stroke: var(--secondary-text-color, #727272); stroke-width: 0.8; opacity: 0.7; }
  svg .line { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
  svg .line.grid { stroke-width: 1.8; }
  svg .dashed { stroke-dasharray: 5 3; }
  svg .dotted { stroke-dasharray: 1.5 2.5; stroke-width: 1.8; }
  svg .limit { stroke-width: 1.2; stroke-dasharray: 7 4; }
  svg .limit-label { fill: var(--error-color, #db4437); font-size: 10px; }
  svg .departs { opacity: 0.16; }
  svg .now line { stroke-width: 1.5; }
  svg .now text { font-weight: 600; fill: var(--primary-color, #03a9f4); font-size: 11px; }
  svg .hover rect { fill: transparent; }
  svg .hover rect:hover { fill: var(--primary-text-color, #000); fill-opacity: 0.06; }
  .legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 6px 4px 0; font-size: 12px; color: var(--primary-text-color, #212121); }
  .legend .item { display: inline-flex; align-items: center; gap: 5px; }
  .swatch { display: inline-block; width: 16px; height: 10px; border-radius: 2px; }
  .swatch.area { background: var(--c); opacity: var(--o); }
  .swatch.band { background: var(--c); opacity: 0.3; }
  .swatch.line { height: 0; border-top: 2px solid var(--c); border-radius: 0; }
  .swatch.dashed { height: 0; border-top: 2px dashed var(--c); border-radius: 0; }
  .swatch.dotted { height: 0; border-top: 2px dotted var(--c); border-radius: 0; }
  .message { padding: 16px 4px; color: var(--secondary-text-color, #727272); }
  .message.error { color: var(--error-color, #db4437); }
  .unmet { margin: 8px 4px 0; font-size: 13px; color: var(--warning-color, #ffa600); }
  .unmet ul { margin: 2px 0 0; padding-left: 18px; color: var(--primary-text-color, #212121); }
  .made { margin: 4px 4px 0; font-size: 11px; color: var(--secondary-text-color, #727272); text-align: right; }
`;

if (!customElements.get("open-hem-plan-card")) {
  customElements.define("open-hem-plan-card", OpenHemPlanCard);
  const lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2);
  const texts = TEXTS[lang] || TEXTS.en;
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: "open-hem-plan-card",
    name: texts.card_name,
    description: texts.card_description,
    preview: false,
    documentationURL: "https://github.com/open-hem/open-hem",
  });
  console.info(`%c OPEN-HEM-PLAN-CARD %c ${VERSION} `, "background:#2e7d32;color:#fff", "");
}
