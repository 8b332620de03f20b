// The pilots' dashboard: plain JavaScript and SVG drawn here, no library and no CDN (the hub's
// machines have no internet). It asks the hub's GraphQL API with the pilot's key, which stays in
// this tab (sessionStorage) and may be given in the address fragment: /dashboard#key=hub_…
"use strict";

const COLORS = { apprentices: "#000091", registered: "#6a6af4", contractBroken: "#e1000f", droppedOut: "#7f7f7f",
                 capacity: "#c9c9ee", enrolled: "#000091" };
const SVG = "http://www.w3.org/2000/svg";

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function graphql(key, query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Authorization": "Bearer " + key },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors[0].message + " (" + (body.errors[0].extensions || {}).code + ")");
  return body.data;
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

// Horizontal stacked bars: one bar per row, one segment per field.
function stackedBars(container, rows, fields, labelOf) {
  container.replaceChildren();
  const width = 560, bar = 18, left = 170, height = rows.length * (bar + 6) + 20;
  const max = Math.max(1, ...rows.map(r => fields.reduce((sum, [f]) => sum + r[f], 0)));
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-chart": container.id, "data-bars": rows.length });
  rows.forEach((row, i) => {
    const y = 10 + i * (bar + 6);
    svg.append(el("text", { x: left - 6, y: y + 13, "text-anchor": "end" }, labelOf(row)));
    let x = left;
    for (const [field] of fields) {
      const w = (row[field] / max) * (width - left - 60);
      svg.append(el("rect", { x, y, width: Math.max(w, 0), height: bar, fill: COLORS[field], "data-value": row[field] }));
      x += w;
    }
    const total = fields.reduce((sum, [f]) => sum + row[f], 0);
    svg.append(el("text", { x: x + 4, y: y + 13 }, total.toLocaleString("fr-FR")));
  });
  container.append(svg);
  legend(container, fields);
}

function lineChart(container, points, fields) {
  container.replaceChildren();
  const width = 560, height = 260, left = 60, bottom = 30, top = 10;
  const max = Math.max(1, ...points.flatMap(p => fields.map(([f]) => p[f])));
  const x = i => left + (points.length < 2 ? 0 : (i / (points.length - 1)) * (width - left - 20));
  const y = v => top + (1 - v / max) * (height - top - bottom);
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-chart": container.id, "data-points": points.length });
  svg.append(el("line", { x1: left, y1: y(0), x2: width - 20, y2: y(0), stroke: "#999" }));
  svg.append(el("text", { x: left - 6, y: y(max) + 4, "text-anchor": "end" }, max.toLocaleString("fr-FR")));
  svg.append(el("text", { x: left - 6, y: y(0) + 4, "text-anchor": "end" }, "0"));
  points.forEach((p, i) => svg.append(el("text", { x: x(i), y: height - 10, "text-anchor": "middle" }, p.on.slice(5, 7) + "/" + p.on.slice(2, 4))));
  for (const [field] of fields) {
    const d = points.map((p, i) => (i ? "L" : "M") + x(i).toFixed(1) + "," + y(p[field]).toFixed(1)).join(" ");
    svg.append(el("path", { d, fill: "none", stroke: COLORS[field], "stroke-width": 2, "data-series": field }));
    points.forEach((p, i) => svg.append(el("circle", { cx: x(i), cy: y(p[field]), r: 3, fill: COLORS[field] })));
  }
  container.append(svg);
  legend(container, fields);
}

function groupedBars(container, rows, fields, labelOf) {
  container.replaceChildren();
  const width = 560, group = 16 * fields.length + 8, left = 170, height = rows.length * group + 20;
  const max = Math.max(1, ...rows.flatMap(r => fields.map(([f]) => r[f] || 0)));
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-chart": container.id, "data-bars": rows.length });
  rows.forEach((row, i) => {
    const y = 10 + i * group;
    svg.append(el("text", { x: left - 6, y: y + 12, "text-anchor": "end" }, labelOf(row)));
    fields.forEach(([field], j) => {
      const value = row[field] || 0;
      svg.append(el("rect", { x: left, y: y + j * 16, width: (value / max) * (width - left - 60), height: 14,
                              fill: COLORS[field], "data-value": value }));
      svg.append(el("text", { x: left + (value / max) * (width - left - 60) + 4, y: y + j * 16 + 11 }, value.toLocaleString("fr-FR")));
    });
  });
  container.append(svg);
  legend(container, fields);
}

function schoolYear(on) {
  const day = new Date(on + "T00:00:00Z");
  const start = day.getUTCMonth() >= 7 ? day.getUTCFullYear() : day.getUTCFullYear() - 1;
  return [start + "-08-01", start + 1 + "-07-31"];
}

async function draw(key, on) {
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = "Chargement…";
  document.body.dataset.ready = "false";
  const rowFields = "key label registered apprentices contractBroken droppedOut capacity vacancies overCapacity suppressed";
  const [from, end] = schoolYear(on);
  const to = end < on ? end : on;
  const data = await graphql(key, `query($on: Date, $from: Date!, $to: Date!) {
      me { name departments }
      regions: headcounts(on: $on, groupBy: REGION) { ${rowFields} }
      departments: headcounts(on: $on, groupBy: DEPARTMENT) { ${rowFields} }
      series: headcountSeries(from: $from, to: $to, interval: MONTH, groupBy: NATIONAL) { on rows { ${rowFields} } }
      wishes: wishOutcomeSummary { stage match count }
    }`, { on, from, to });

  const tbody = document.querySelector("#regions-table tbody");
  tbody.replaceChildren();
  for (const row of data.regions) {
    const tr = document.createElement("tr");
    tr.dataset.key = row.key;
    for (const value of [row.label, row.registered, row.apprentices, row.contractBroken, row.droppedOut, row.capacity, row.vacancies]) {
      const td = document.createElement("td");
      td.textContent = value === null ? "—" : (typeof value === "number" ? value.toLocaleString("fr-FR") : value);
      tr.append(td);
    }
    tbody.append(tr);
  }
  stackedBars(document.getElementById("regions-chart"), data.regions,
    [["apprentices", "Apprentis"], ["registered", "Inscrits sans contrat"], ["contractBroken", "Rupturants"]], r => r.label);
  const points = data.series.map(p => Object.assign({ on: p.on }, p.rows[0] || { apprentices: 0, registered: 0, contractBroken: 0 }));
  lineChart(document.getElementById("series-chart"), points,
    [["apprentices", "Apprentis"], ["registered", "Inscrits sans contrat"], ["contractBroken", "Rupturants"]]);
  const withCapacity = data.departments.filter(r => r.capacity !== null)
    .map(r => Object.assign({ enrolled: r.registered + r.apprentices + r.contractBroken }, r))
    .sort((a, b) => b.capacity - a.capacity).slice(0, 20);
  groupedBars(document.getElementById("capacity-chart"), withCapacity,
    [["capacity", "Capacité"], ["enrolled", "Inscrits et apprentis"]], r => r.key + " " + r.label);
  const stages = { NO_NEWS: "Sans nouvelles", HANDLED: "Exploité", REGISTERED: "Inscrit", APPRENTICE: "Apprenti", LEFT: "Parti" };
  const matches = { AS_WISHED: "comme souhaité", OTHER_TRAINING: "autre formation", OTHER_CFA: "autre CFA" };
  const wishRows = data.wishes.map(w => ({ label: stages[w.stage] + (w.match ? " — " + matches[w.match] : ""), apprentices: w.count }));
  stackedBars(document.getElementById("wishes-chart"), wishRows, [["apprentices", "Vœux"]], r => r.label);

  const scope = data.me.departments ? data.me.departments.length + " départements" : "national";
  status.textContent = `${data.me.name} (${scope}) — données au ${on}`;
  document.body.dataset.ready = "true";
}

function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const keyInput = document.getElementById("key");
  const onInput = document.getElementById("on");
  keyInput.value = fragment.get("key") || sessionStorage.getItem("hub-key") || "";
  onInput.value = fragment.get("on") || new Date().toISOString().slice(0, 10);
  if (fragment.get("key")) history.replaceState(null, "", location.pathname);  // the key leaves the address bar
  const run = () => {
    sessionStorage.setItem("hub-key", keyInput.value);
    draw(keyInput.value.trim(), onInput.value).catch(error => {
      const status = document.getElementById("status");
      status.className = "error";
      status.textContent = "Erreur : " + error.message;
      document.body.dataset.ready = "error";
    });
  };
  document.getElementById("settings").addEventListener("submit", event => { event.preventDefault(); run(); });
  if (keyInput.value) run();
}

start();
