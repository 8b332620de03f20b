// The pilots' dashboard: plain JavaScript and SVG drawn here, no library and no CDN (the hub's
// machines have no internet). It asks the hub's GraphQL API with the pilot's key, which stays in
// this tab (sessionStorage) and may be given in the address fragment: /dashboard#key=hub_…
// Everything is in French: labels, numbers (1 234), dates (31/12/2026) and errors.
"use strict";

const COLORS = { apprentices: "#000091", registered: "#6a6af4", contractBroken: "#e1000f", droppedOut: "#7f7f7f",
                 capacity: "#c9c9ee", taken: "#000091", cfas: "#c9c9ee", transmitting: "#18753c" };
const SVG = "http://www.w3.org/2000/svg";
const MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const ERRORS = {
  UNAUTHENTICATED: "clé inconnue, expirée ou manquante : vérifiez la clé de pilote",
  FORBIDDEN: "cette clé n'ouvre pas les tableaux des pilotes (rôle PILOT ou ADMIN)",
  BAD_USER_INPUT: "demande refusée",
  RATE_LIMITED: "trop de demandes : réessayez dans un instant",
  QUERY_TOO_COMPLEX: "demande trop lourde",
};
const number = value => (value === null || value === undefined ? "—" : value.toLocaleString("fr-FR"));
const frenchDate = iso => iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4);

// "31/12/2026" -> "2026-12-31"; null for anything else (or a day that does not exist).
function isoDate(text) {
  const found = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text);
  if (!found) return null;
  const iso = found[3] + "-" + found[2].padStart(2, "0") + "-" + found[1].padStart(2, "0");
  const day = new Date(iso + "T00:00:00Z");
  return !isNaN(day) && day.toISOString().slice(0, 10) === iso ? iso : null;
}

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

class HubError extends Error {
  constructor(code, field) {
    super((ERRORS[code] || "le hub a refusé la demande") + (field ? " (" + field + ")" : "") + " — code " + code);
  }
}

async function graphql(key, query, variables) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + key },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new Error("le hub ne répond pas : vérifiez la connexion");
  }
  const body = await response.json();
  if (body.errors) {
    const extensions = body.errors[0].extensions || {};
    throw new HubError(extensions.code || "ERREUR", extensions.field);
  }
  return body.data;
}

// Ticks of a value axis: 0 and about five round steps up to (at least) ``max``.
function ticks(max) {
  const rough = Math.max(1, max) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= rough);
  const out = [];
  for (let v = 0; v <= max + step - 1e-9; v += step) out.push(Math.round(v));
  return out.length > 1 ? out : [0, step];
}

function legend(container, names) {
  const div = document.createElement("div");
  div.className = "legend";
  for (const [name, label] of names) {
    const span = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = COLORS[name];
    span.append(swatch, label);
    div.append(span);
  }
  container.append(div);
}

// Horizontal bars, one group per row and one bar per field, on a value axis with gridlines; a
// row's bar of ``alert`` is drawn red when ``isAlert(row)``.
function groupedBars(container, rows, fields, labelOf, options = {}) {
  container.replaceChildren();
  const width = 640, barHeight = 13, group = barHeight * fields.length + 10, left = 190, right = 50, top = 24;
  const height = top + rows.length * group + 10;
  const max = Math.max(1, ...rows.flatMap(r => fields.map(([f]) => r[f] || 0)));
  const axis = ticks(max);
  const scale = v => (v / axis[axis.length - 1]) * (width - left - right);
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-chart": container.id, "data-bars": rows.length });
  for (const t of axis) {
    svg.append(el("line", { class: "grid", x1: left + scale(t), y1: top - 4, x2: left + scale(t), y2: height - 6 }));
    svg.append(el("text", { x: left + scale(t), y: top - 8, "text-anchor": "middle", "data-tick": t }, number(t)));
  }
  svg.append(el("line", { class: "axis", x1: left, y1: top - 4, x2: left, y2: height - 6 }));
  rows.forEach((row, i) => {
    const y = top + i * group;
    svg.append(el("text", { x: left - 6, y: y + group / 2, "text-anchor": "end" }, labelOf(row)));
    fields.forEach(([field], j) => {
      const value = row[field] || 0;
      const alert = options.alert === field && options.isAlert && options.isAlert(row);
      svg.append(el("rect", { x: left, y: y + j * barHeight, width: scale(value), height: barHeight - 1,
                              fill: COLORS[field], class: alert ? "over" : "", "data-value": value }));
      svg.append(el("text", { x: left + scale(value) + 4, y: y + j * barHeight + 10 }, number(value)));
    });
  });
  container.append(svg);
  legend(container, fields.concat(options.alertLabel ? [["contractBroken", options.alertLabel]] : []));
}

function lineChart(container, points, fields) {
  container.replaceChildren();
  const width = 600, height = 280, left = 56, right = 20, bottom = 34, top = 16;
  const max = Math.max(1, ...points.flatMap(p => fields.map(([f]) => p[f])));
  const axis = ticks(max);
  const x = i => left + (points.length < 2 ? (width - left - right) / 2 : (i / (points.length - 1)) * (width - left - right));
  const y = v => top + (1 - v / axis[axis.length - 1]) * (height - top - bottom);
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-chart": container.id, "data-points": points.length });
  for (const t of axis) {
    svg.append(el("line", { class: "grid", x1: left, y1: y(t), x2: width - right, y2: y(t) }));
    svg.append(el("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end", "data-tick": t }, number(t)));
  }
  svg.append(el("line", { class: "axis", x1: left, y1: y(0), x2: width - right, y2: y(0) }));
  svg.append(el("text", { x: 4, y: top - 4 }, "jeunes"));
  points.forEach((p, i) => {
    const month = MONTHS[Number(p.on.slice(5, 7)) - 1] + " " + p.on.slice(2, 4);
    svg.append(el("text", { x: x(i), y: height - 12, "text-anchor": "middle" }, month));
  });
  for (const [field] of fields) {
    const d = points.map((p, i) => (i ? "L" : "M") + x(i).toFixed(1) + "," + y(p[field]).toFixed(1)).join(" ");
    svg.append(el("path", { d, fill: "none", stroke: COLORS[field], "stroke-width": 2, "data-series": field }));
    points.forEach((p, i) => {
      svg.append(el("circle", { cx: x(i), cy: y(p[field]), r: 3, fill: COLORS[field] }));
      if (i === points.length - 1) svg.append(el("text", { x: x(i) - 4, y: y(p[field]) - 6, "text-anchor": "end" }, number(p[field])));
    });
  }
  container.append(svg);
  legend(container, fields);
}

function fillTable(id, rows, cellsOf, classOf) {
  const tbody = document.querySelector("#" + id + " tbody");
  tbody.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.key = row.key;
    if (classOf) tr.className = classOf(row);
    for (const [value, hidden] of cellsOf(row)) {
      const td = document.createElement("td");
      td.textContent = hidden ? "< 5" : (typeof value === "number" || value === null ? number(value) : value);
      if (hidden) td.className = "hidden";
      tr.append(td);
    }
    tbody.append(tr);
  }
}

// A count as shown: "< 5" where the hub protected a count from 1 to 4.
const shown = (row, field) => [row[field], (row.suppressedFields || []).includes(field)];

function schoolYear(on) {
  const day = new Date(on + "T00:00:00Z");
  const start = day.getUTCMonth() >= 7 ? day.getUTCFullYear() : day.getUTCFullYear() - 1;
  return [start + "-08-01", start + 1 + "-07-31"];
}

const ROW = "key label registered apprentices contractBroken droppedOut capacity vacancies overCapacity suppressedFields";
const CFA_LINES = 60;

async function draw(key, on) {
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = "Chargement…";
  document.body.dataset.ready = "false";
  const [from, end] = schoolYear(on);
  const to = end < on ? end : on;
  const data = await graphql(key, `query($on: Date, $from: Date!, $to: Date!) {
      me { name departments }
      total: headcounts(on: $on, groupBy: NATIONAL) { ${ROW} }
      departments: headcounts(on: $on, groupBy: DEPARTMENT) { ${ROW} }
      cfas: headcounts(on: $on, groupBy: CFA) { ${ROW} }
      series: headcountSeries(from: $from, to: $to, interval: MONTH, groupBy: NATIONAL) {
        on rows { registered apprentices contractBroken } }
      coverage: transmissionCoverage(on: $on, groupBy: DEPARTMENT) { key label cfas consenting transmitting apprentices }
      cfaCoverage: transmissionCoverage(on: $on, groupBy: CFA) { key label transmitting }
      conversion: wishConversion(groupBy: DEPARTMENT) {
        key label wishes handled handledByWishedCfa registered apprentices apprenticesAsWished left suppressedFields }
    }`, { on, from, to });

  const total = data.total[0] || {};
  const known = data.coverage.reduce((n, r) => n + r.cfas, 0);
  const sending = data.coverage.reduce((n, r) => n + r.transmitting, 0);
  const summary = document.getElementById("summary");
  summary.replaceChildren();
  for (const [label, value, name] of [
    ["Apprentis", total.apprentices, "apprentices"], ["Inscrits sans contrat", total.registered, "registered"],
    ["Rupturants", total.contractBroken, "contractBroken"], ["Abandons depuis le 1er août", total.droppedOut, "droppedOut"],
    ["Places (capacité)", total.capacity, "capacity"], ["Places vacantes", total.vacancies, "vacancies"],
    ["CFA qui transmettent", sending + " / " + known, "coverage"]]) {
    const card = document.createElement("div");
    card.className = "kpi";
    card.dataset.kpi = name;
    const b = document.createElement("b");
    b.textContent = typeof value === "number" || value === null ? number(value) : value;
    const span = document.createElement("span");
    span.textContent = label;
    card.append(b, span);
    summary.append(card);
  }

  // places taken: the capacity minus the places left (each offer's intake, as the hub counts it)
  const departments = data.departments.map(r => Object.assign({ taken: r.capacity === null ? null : r.capacity - r.vacancies }, r));
  fillTable("departments-table", departments, r => [[r.key + " " + r.label], shown(r, "apprentices"), shown(r, "registered"),
    shown(r, "contractBroken"), shown(r, "droppedOut"), [r.capacity], [r.vacancies]], r => (r.overCapacity ? "over" : ""));
  groupedBars(document.getElementById("places-chart"), departments.filter(r => r.capacity !== null).slice(0, 25),
    [["capacity", "Capacité"], ["taken", "Places occupées (entrés dans la session)"]], r => r.key + " " + r.label,
    { alert: "taken", isAlert: r => r.overCapacity, alertLabel: "Au-delà de la capacité (une offre au moins)" });

  const transmitting = Object.fromEntries(data.cfaCoverage.map(r => [r.key, r.transmitting > 0]));
  const cfas = data.cfas.slice().sort((a, b) => (b.capacity || 0) - (a.capacity || 0) || a.label.localeCompare(b.label, "fr"))
    .slice(0, CFA_LINES);
  fillTable("cfas-table", cfas, r => [[r.label + " (" + r.key + ")"], shown(r, "apprentices"), shown(r, "registered"),
    shown(r, "contractBroken"), [r.capacity], [r.vacancies], [transmitting[r.key] ? "oui" : "non"]],
    r => (r.overCapacity ? "over" : ""));

  const points = data.series.map(p => Object.assign({ on: p.on }, p.rows[0] || { apprentices: 0, registered: 0, contractBroken: 0 }));
  lineChart(document.getElementById("series-chart"), points,
    [["apprentices", "Apprentis"], ["registered", "Inscrits sans contrat"], ["contractBroken", "Rupturants"]]);

  groupedBars(document.getElementById("coverage-chart"), data.coverage,
    [["cfas", "CFA connus"], ["transmitting", "dont transmettant"]], r => r.key + " " + r.label);
  const silent = data.cfaCoverage.filter(r => !r.transmitting).map(r => r.label);
  document.getElementById("silent").textContent = silent.length
    ? "Sans transmission depuis 30 jours : " + silent.slice(0, 12).join(", ") + (silent.length > 12 ? "… (" + silent.length + " CFA)" : "")
    : "Tous les CFA du territoire ont transmis depuis 30 jours.";

  fillTable("conversion-table", data.conversion, r => [[r.key + " " + r.label], shown(r, "wishes"), shown(r, "handled"),
    shown(r, "handledByWishedCfa"), shown(r, "registered"), shown(r, "apprentices"), shown(r, "apprenticesAsWished"),
    shown(r, "left")]);

  const names = data.me.departments
    ? data.departments.filter(r => data.me.departments.includes(r.key)).map(r => r.label).join(", ") || data.me.departments.join(", ")
    : "France entière";
  status.textContent = `${data.me.name} — territoire : ${names} — données au ${frenchDate(on)}`;
  document.body.dataset.ready = "true";
}

function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const keyInput = document.getElementById("key");
  const onInput = document.getElementById("on");
  keyInput.value = fragment.get("key") || sessionStorage.getItem("hub-key") || "";
  onInput.value = frenchDate(fragment.get("on") || new Date().toISOString().slice(0, 10));
  if (fragment.get("key")) history.replaceState(null, "", location.pathname);  // the key leaves the address bar
  const run = () => {
    sessionStorage.setItem("hub-key", keyInput.value);
    const on = isoDate(onInput.value);
    const failed = error => {
      const status = document.getElementById("status");
      status.className = "error";
      status.textContent = "Erreur : " + error.message;
      document.body.dataset.ready = "error";
    };
    if (on === null) return failed(new Error("date invalide : écrivez-la jj/mm/aaaa, par exemple 31/12/2026"));
    draw(keyInput.value.trim(), on).catch(failed);
  };
  document.getElementById("settings").addEventListener("submit", event => { event.preventDefault(); run(); });
  if (keyInput.value) run();
}

start();
