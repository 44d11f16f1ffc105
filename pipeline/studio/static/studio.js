// docc studio: plain JS over the studio's JSON API (no framework, no network beyond 127.0.0.1).
"use strict";
const BOOT = JSON.parse(document.getElementById("boot").textContent);
const $ = (s, el = document) => el.querySelector(s);
const $$ = (s, el = document) => Array.from(el.querySelectorAll(s));
const h = (tag, attrs = {}, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
  return el;
};

const S = {
  mode: "label", doctypes: [], doctype: null, schema: null, schemaSha: null, docs: [], docName: null,
  doc: null,            // {sha256, pages, ...}
  values: {},           // field -> string | [{col: string}]
  meta: {},             // field -> {page, bbox, text}  (where a value was read)
  active: null,         // {field} | {field, row, col}
  lastAssigned: null,
  problems: {},
  review: null,         // current review document
  queue: [], compileJob: null, flags: {},
};

async function api(method, url, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = { message: r.statusText }; }
  if (!r.ok) { const err = new Error(data.message || r.statusText); err.status = r.status; err.data = data; throw err; }
  return data;
}
function status(msg, kind = "") { const el = $("#status"); el.textContent = msg; el.className = kind; }

// ------------------------------------------------------------------ modes
function setMode(mode) {
  S.mode = mode;
  document.body.className = "mode-" + mode;
  $$(".tab").forEach(t => t.classList.toggle("active", t.dataset.mode === mode));
  clearViewer();
  if (mode === "label") loadDoctypes().then(() => S.doctype && openDoctype(S.doctype));
  if (mode === "review") loadQueue();
  if (mode === "compile") loadDoctypes();
}
function clearViewer() {
  S.doc = null; S.review = null; S.values = {}; S.meta = {}; S.active = null; S.problems = {}; S.flags = {};
  $("#pages").replaceChildren(h("p", { class: "empty" }, S.mode === "review" ? "Pick a document from the queue." : "Open a document."));
  $("#fields").replaceChildren(); $("#panel-head").replaceChildren(); $("#panel-actions").replaceChildren();
}

// ------------------------------------------------------------------ doc types (label)
async function loadDoctypes() {
  S.doctypes = await api("GET", "/api/doctypes");
  for (const sel of [$("#doctype"), $("#compile-doctype")]) {
    const cur = S.doctype || (S.doctypes[0] && S.doctypes[0].doc_type);
    sel.replaceChildren(...S.doctypes.map(d => h("option", { value: d.doc_type, selected: d.doc_type === cur },
      `${d.doc_type} (${d.labeled} labeled${d.locked ? ", compiled" : ""})`)));
  }
  if (!S.doctype && S.doctypes.length) S.doctype = S.doctypes[0].doc_type;
}
async function openDoctype(name) {
  S.doctype = name;
  $("#doctype").value = name;
  const d = await api("GET", `/api/doctypes/${name}`);
  S.schema = d.schema; S.schemaSha = d.schema_sha; S.docs = d.documents;
  renderDocList();
}
function renderDocList() {
  $("#doc-list").replaceChildren(...S.docs.map((d, i) => h("li", {
    class: (d.labeled ? "labeled " : "") + (d.name === S.docName ? "current" : ""), "data-name": d.name, title: d.name,
    onclick: () => openLabelDoc(d.name),
  }, d.name, d.inbox ? h("span", { class: "tag" }, "new") : null)));
}
async function openLabelDoc(name) {
  S.docName = name;
  renderDocList();
  status("reading " + name + " …");
  const d = await api("GET", `/api/doctypes/${S.doctype}/documents/${encodeURIComponent(name)}`);
  S.doc = d; S.values = {}; S.meta = {}; S.problems = {}; S.flags = {};
  const src = d.golden || d.prefill || {};
  for (const [f, spec] of Object.entries(S.schema.fields)) S.values[f] = fromStored(src[f], spec, !!d.golden);
  if (d.prefill && !d.golden) for (const [f, v] of Object.entries(d.prefill)) if (v && v.bbox) S.meta[f] = { page: v.page, bbox: v.bbox, text: v.text };
  renderPages(); renderFields();
  $("#panel-head").replaceChildren(d.name, h("span", { class: "sub" },
    d.golden ? "labeled: edit and save" : d.prefill ? "prefilled by the compiled extractor: check every value" : "not labeled yet: click a field, then its words"));
  $("#panel-actions").replaceChildren(
    h("label", {}, "Sample id ", h("input", { id: "sample-id", value: d.id })),
    h("div", { class: "row right" }, h("button", { id: "save", class: "primary", onclick: saveLabel, title: "Save (Ctrl+S)" }, "Save sample")));
  setActive({ field: Object.keys(S.schema.fields)[0] });
  status(`${name}: ${d.pages.length} page(s), ${d.pages.reduce((n, p) => n + p.words.length, 0)} words (${[...new Set(d.pages.map(p => p.source))].join(", ")})`);
}
function fromStored(v, spec, golden) {
  // golden: plain values / rows of plain values; extractor output: {value: ...} / rows of {col: {value}}
  if (v && typeof v === "object" && !Array.isArray(v) && "value" in v) v = v.value;
  if (spec.type === "table") {
    return (Array.isArray(v) ? v : []).map(row => {
      const out = {};
      for (const c of Object.keys(spec.columns)) {
        let cell = row ? row[c] : null;
        if (cell && typeof cell === "object" && "value" in cell) cell = cell.value;
        out[c] = cell === null || cell === undefined ? "" : String(cell);
      }
      return out;
    });
  }
  return v === null || v === undefined ? "" : String(v);
}
async function saveLabel() {
  if (!S.doc || S.mode !== "label") return;
  const body = { values: tablesClean(S.values), golden_sha: S.doc.golden_sha, id: $("#sample-id").value.trim() };
  try {
    const r = await api("POST", `/api/doctypes/${S.doctype}/documents/${encodeURIComponent(S.doc.name)}`, body);
    S.problems = {};
    await loadDoctypes(); await openDoctype(S.doctype);
    await openLabelDoc(r.name);
    status(`saved ${r.saved}`, "ok");
  } catch (e) {
    S.problems = (e.data && e.data.problems) || {};
    renderFields();
    status(e.message + (Object.keys(S.problems).length ? ": " + Object.entries(S.problems).map(([k, v]) => `${k}: ${v}`).join("; ") : ""), "error");
  }
}
function tablesClean(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) out[k] = Array.isArray(v) ? v.filter(r => Object.values(r).some(x => x !== "")) : v;
  return out;
}

// ------------------------------------------------------------------ pages and words
function renderPages() {
  const wrap = $("#pages");
  wrap.replaceChildren();
  if (!S.doc) return;
  for (const p of S.doc.pages) {
    const pg = h("div", { class: "page", "data-page": p.number });
    pg.style.aspectRatio = `${p.width} / ${p.height}`;
    pg.style.width = "min(100%, 900px)";
    pg.append(h("img", { src: `/api/pages/${S.doc.sha256}/${p.number}.png`, alt: `page ${p.number}`, draggable: "false" }));
    pg.append(h("span", { class: "pno" }, `${p.number} · ${p.source}`));
    p.words.forEach((w, i) => {
      const el = h("span", { class: "word" + (w[5] < 0.6 ? " ocr-low" : ""), "data-p": p.number, "data-i": i, title: w[0] });
      place(el, p, w[1], w[2], w[3], w[4]);
      pg.append(el);
    });
    attachSelect(pg, p);
    wrap.append(pg);
  }
  renderBoxes();
}
function place(el, p, x0, t, x1, b) {
  el.style.left = (100 * x0 / p.width) + "%"; el.style.top = (100 * t / p.height) + "%";
  el.style.width = (100 * (x1 - x0) / p.width) + "%"; el.style.height = (100 * (b - t) / p.height) + "%";
}
function renderBoxes() {
  $$(".box").forEach(b => b.remove());
  if (!S.doc) return;
  for (const [f, m] of Object.entries(S.meta)) {
    if (!m || !m.bbox || !m.page) continue;
    const p = S.doc.pages[m.page - 1], pg = $(`.page[data-page="${m.page}"]`);
    if (!p || !pg) continue;
    const fl = S.flags[f];
    const el = h("div", { class: "box" + (fl ? " flag-" + fl.kind : "") + (S.active && S.active.field === f ? " active" : ""), "data-field": f, title: f });
    place(el, p, m.bbox[0] - 1, m.bbox[1] - 1, m.bbox[2] + 1, m.bbox[3] + 1);
    pg.append(el);
  }
}
function attachSelect(pg, p) {
  let start = null, rect = null;
  const pos = ev => { const r = pg.getBoundingClientRect(); return { x: (ev.clientX - r.left) / r.width * p.width, y: (ev.clientY - r.top) / r.height * p.height, px: ev.clientX - r.left, py: ev.clientY - r.top }; };
  pg.addEventListener("mousedown", ev => {
    if (ev.button !== 0) return;
    ev.preventDefault();
    start = pos(ev);
    start.word = ev.target.classList.contains("word") ? +ev.target.dataset.i : null;
    start.shift = ev.shiftKey;
  });
  pg.addEventListener("mousemove", ev => {
    if (!start) return;
    const c = pos(ev);
    if (!rect && Math.hypot(c.px - start.px, c.py - start.py) < 4) return;
    if (!rect) { rect = h("div", { class: "selrect" }); pg.append(rect); }
    rect.style.left = Math.min(c.px, start.px) + "px"; rect.style.top = Math.min(c.py, start.py) + "px";
    rect.style.width = Math.abs(c.px - start.px) + "px"; rect.style.height = Math.abs(c.py - start.py) + "px";
    const [x0, x1, y0, y1] = [Math.min(c.x, start.x), Math.max(c.x, start.x), Math.min(c.y, start.y), Math.max(c.y, start.y)];
    $$(".word", pg).forEach(el => { const w = p.words[+el.dataset.i]; el.classList.toggle("sel", w[1] < x1 && w[3] > x0 && w[2] < y1 && w[4] > y0); });
  });
  const finish = ev => {
    if (!start) return;
    let idx;
    if (rect) { idx = $$(".word.sel", pg).map(el => +el.dataset.i); rect.remove(); rect = null; }
    else idx = start.word === null ? [] : [start.word];
    const shift = start.shift; start = null;
    $$(".word.sel").forEach(el => el.classList.remove("sel"));
    if (idx.length) assignWords(p, idx, shift);
  };
  pg.addEventListener("mouseup", finish);
  pg.addEventListener("mouseleave", () => { if (rect) finish(); });
}
function linesOf(p, idx) {
  // selected words grouped into visual lines, each left to right; lines top to bottom
  const ws = idx.map(i => p.words[i]).sort((a, b) => ((a[2] + a[4]) / 2 - (b[2] + b[4]) / 2) || a[1] - b[1]);
  const lines = [];
  for (const w of ws) {
    const c = (w[2] + w[4]) / 2, last = lines[lines.length - 1];
    if (last && Math.abs(c - last.c) <= 0.5 * Math.max(last.hgt, w[4] - w[2])) { last.words.push(w); }
    else lines.push({ c, hgt: w[4] - w[2], words: [w] });
  }
  lines.forEach(l => l.words.sort((a, b) => a[1] - b[1]));
  return lines;
}
function bboxOf(ws) { return [Math.min(...ws.map(w => w[1])), Math.min(...ws.map(w => w[2])), Math.max(...ws.map(w => w[3])), Math.max(...ws.map(w => w[4]))]; }
function assignWords(p, idx, append) {
  const lines = linesOf(p, idx);
  const text = lines.map(l => l.words.map(w => w[0]).join(" ")).join(" ");
  const all = lines.flatMap(l => l.words);
  let target = append && S.lastAssigned ? S.lastAssigned : S.active;
  if (!target) { status("click a field on the right first", "error"); return; }
  const spec = S.schema && S.schema.fields[target.field];
  if (spec && spec.type === "table" && target.row === undefined) {
    rowsFromLines(target.field, spec, lines);
    S.meta[target.field] = { page: p.number, bbox: bboxOf(all), text: "" };
    renderFields(); renderBoxes();
    status(`${lines.length} row(s) read into ${target.field}: check the columns`);
    return;
  }
  const cur = getVal(target);
  setVal(target, append && cur ? cur + " " + text : text);
  if (target.row === undefined) {
    const prev = S.meta[target.field];
    const words = append && prev && prev.bbox && prev.page === p.number ? all.concat([[null, ...prev.bbox]]) : all;
    S.meta[target.field] = { page: p.number, bbox: bboxOf(words), text: getVal(target) };
  }
  S.lastAssigned = target;
  renderFields();
  if (!append) next(1); else setActive(S.active);
  renderBoxes();
}
function rowsFromLines(field, spec, lines) {
  // one row per line; a line splits into cells at wide gaps, cells fill the columns in order
  const cols = Object.keys(spec.columns);
  const rows = lines.map(l => {
    const cells = [];
    let cur = [l.words[0]];
    for (let i = 1; i < l.words.length; i++) {
      const gap = l.words[i][1] - l.words[i - 1][3], hgt = l.words[i][4] - l.words[i][2];
      if (gap > Math.max(6, 0.9 * hgt)) { cells.push(cur); cur = []; }
      cur.push(l.words[i]);
    }
    cells.push(cur);
    const texts = cells.map(c => c.map(w => w[0]).join(" "));
    while (texts.length > cols.length) texts.splice(cols.length - 1, 2, texts[cols.length - 1] + " " + texts[cols.length]);
    const row = {};
    cols.forEach((c, i) => { row[c] = texts[i] || ""; });
    return row;
  });
  S.values[field] = (S.values[field] || []).filter(r => Object.values(r).some(x => x !== "")).concat(rows);
}
function getVal(t) { return t.row === undefined ? S.values[t.field] : ((S.values[t.field] || [])[t.row] || {})[t.col]; }
function setVal(t, v) {
  if (t.row === undefined) S.values[t.field] = v;
  else { const rows = S.values[t.field]; while (rows.length <= t.row) rows.push({}); rows[t.row][t.col] = v; }
}

// ------------------------------------------------------------------ field panel
function fieldOrder() {
  const out = [];
  if (!S.schema) return out;
  for (const [f, spec] of Object.entries(S.schema.fields)) {
    if (spec.type === "table") {
      out.push({ field: f });
      (S.values[f] || []).forEach((r, i) => Object.keys(spec.columns).forEach(c => out.push({ field: f, row: i, col: c })));
    } else out.push({ field: f });
  }
  return out;
}
const same = (a, b) => a && b && a.field === b.field && a.row === b.row && a.col === b.col;
function setActive(t) {
  S.active = t;
  $$(".field").forEach(el => el.classList.toggle("active", !!t && el.dataset.field === t.field));
  $$(".field table input").forEach(el => el.classList.toggle("active", !!t && el.dataset.field === t.field && +el.dataset.row === t.row && el.dataset.col === t.col));
  $$(".box").forEach(b => b.classList.toggle("active", !!t && b.dataset.field === t.field));
  const el = t && (t.row === undefined ? $(`.field[data-field="${t.field}"]`) : $(`.field table input[data-field="${t.field}"][data-row="${t.row}"][data-col="${t.col}"]`));
  if (el) el.scrollIntoView({ block: "nearest" });
}
function next(d) {
  const order = fieldOrder();
  const i = order.findIndex(t => same(t, S.active));
  const j = Math.max(0, Math.min(order.length - 1, i + d));
  setActive(order[j]);
}
function renderFields() {
  const form = $("#fields");
  form.replaceChildren();
  if (!S.schema) return;
  for (const [f, spec] of Object.entries(S.schema.fields)) {
    const fl = S.flags[f];
    const prob = S.problems[f];
    const box = h("div", { class: "field" + (fl ? " flag-" + fl.kind : "") + (prob ? " problem" : ""), "data-field": f,
      onclick: ev => { if (ev.target.tagName !== "INPUT" && ev.target.tagName !== "BUTTON") setActive({ field: f }); } },
      h("div", { class: "name" }, h("span", {}, f + (spec.required ? " *" : "")), h("span", { class: "type" }, spec.type + (spec.system ? ":" + spec.system : ""))));
    if (spec.type === "table") {
      const cols = Object.keys(spec.columns);
      const rows = S.values[f] = S.values[f] || [];
      const tb = h("tbody");
      rows.forEach((r, i) => tb.append(h("tr", {}, cols.map(c => {
        const p = S.problems[`${f}[${i + 1}].${c}`];
        return h("td", {}, h("input", { value: r[c] || "", "data-field": f, "data-row": i, "data-col": c, class: p ? "problem" : null, title: p || c,
          onfocus: () => setActive({ field: f, row: i, col: c }), oninput: ev => { r[c] = ev.target.value; } }));
      }), h("td", {}, h("button", { type: "button", title: "delete row", onclick: () => { rows.splice(i, 1); renderFields(); } }, "×")))));
      box.append(h("table", {}, h("thead", {}, h("tr", {}, cols.map(c => h("th", {}, c)), h("th"))), tb),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => { rows.push(Object.fromEntries(cols.map(c => [c, ""]))); renderFields(); setActive({ field: f, row: rows.length - 1, col: cols[0] }); } }, "+ row"),
          h("span", { class: "hint" }, "drag over the table's rows with this field active to read them")));
    } else {
      box.append(h("input", { value: S.values[f] ?? "", "data-field": f, name: f,
        onfocus: () => setActive({ field: f }), oninput: ev => { S.values[f] = ev.target.value; if (S.meta[f]) S.meta[f].text = ev.target.value; } }));
    }
    const msgs = [fl && fl.message, prob].filter(Boolean);
    Object.entries(S.problems).filter(([k]) => k.startsWith(f + "[")).forEach(([k, v]) => msgs.push(`${k}: ${v}`));
    if (msgs.length) box.append(h("div", { class: "msg" }, msgs.join("; ")));
    form.append(box);
  }
  setActive(S.active);
}

// ------------------------------------------------------------------ schema editor
const TYPES = BOOT.field_types, SYSTEMS = BOOT.code_systems;
function fieldRow(name = "", spec = { type: "string" }, isColumn = false) {
  const tr = h("tr", { class: isColumn ? "col-row" : "field-row" },
    h("td", {}, h("input", { class: "f-name", value: name, placeholder: isColumn ? "column" : "field_name" })),
    h("td", {}, h("select", { class: "f-type", onchange: ev => toggleCols(tr, ev.target.value) },
      (isColumn ? TYPES.filter(t => t !== "table") : TYPES).map(t => h("option", { value: t, selected: t === spec.type }, t)))),
    h("td", {}, h("input", { type: "checkbox", class: "f-required", checked: !!spec.required })),
    h("td", {}, h("select", { class: "f-system" }, SYSTEMS.map(s => h("option", { value: s, selected: s === (spec.system || "") }, s || "—")))),
    h("td", {}, h("button", { type: "button", onclick: () => { if (tr._cols) tr._cols.remove(); tr.remove(); } }, "×")));
  if (!isColumn) {
    tr._cols = h("tr", { class: "cols-holder" }, h("td", { colspan: 5 }, h("div", { class: "cols" },
      h("table", {}, h("tbody", { class: "col-body" })),
      h("button", { type: "button", class: "add-col", onclick: () => tr._cols.querySelector(".col-body").append(fieldRow("", { type: "string" }, true)) }, "+ column"))));
    for (const [c, cs] of Object.entries(spec.columns || {})) tr._cols.querySelector(".col-body").append(fieldRow(c, cs, true));
    tr._cols.style.display = spec.type === "table" ? "" : "none";
  }
  return tr;
}
function toggleCols(tr, type) {
  if (!tr._cols) return;
  tr._cols.style.display = type === "table" ? "" : "none";
  if (type === "table" && !tr._cols.querySelector(".col-row")) tr._cols.querySelector(".col-body").append(fieldRow("", { type: "string" }, true));
}
function addFieldRow(name, spec) { const tr = fieldRow(name, spec); $("#schema-fields tbody").append(tr, tr._cols); return tr; }
function openSchemaEditor(create) {
  S.schemaCreate = create;
  $("#schema-title").textContent = create ? "New doc type" : `Edit schema: ${S.doctype}`;
  $("#schema-doctype").value = create ? "" : S.doctype; $("#schema-doctype").disabled = !create;
  $("#schema-description").value = create ? "" : (S.schema.description || "");
  $("#schema-fields tbody").replaceChildren(); $("#schema-errors").textContent = "";
  if (create) addFieldRow("", { type: "string" });
  else for (const [f, spec] of Object.entries(S.schema.fields)) addFieldRow(f, spec);
  $("#schema-dialog").showModal();
  (create ? $("#schema-doctype") : $(".f-name")).focus();
}
function specOf(tr) {
  const spec = { type: $(".f-type", tr).value };
  if ($(".f-required", tr).checked) spec.required = true;
  if ($(".f-system", tr).value) spec.system = $(".f-system", tr).value;
  return spec;
}
async function saveSchema() {
  const fields = {};
  for (const tr of $$("#schema-fields tbody tr.field-row")) {
    const name = $(".f-name", tr).value.trim();
    if (!name) continue;
    const spec = specOf(tr);
    if (spec.type === "table") {
      spec.columns = {};
      for (const cr of $$(".col-row", tr._cols)) { const c = $(".f-name", cr).value.trim(); if (c) spec.columns[c] = specOf(cr); }
    }
    fields[name] = spec;
  }
  const doc_type = $("#schema-doctype").value.trim();
  try {
    const r = await api("POST", "/api/doctypes", { create: S.schemaCreate, schema_sha: S.schemaSha,
      schema: { doc_type, description: $("#schema-description").value.trim(), fields } });
    $("#schema-dialog").close();
    S.doctype = r.doc_type; S.docName = null;
    await loadDoctypes(); await openDoctype(r.doc_type); clearViewer();
    status(`schema of ${r.doc_type} saved` + (r.added.length ? `; new fields: ${r.added.join(", ")} (label them on existing samples)` : ""), "ok");
  } catch (e) {
    const probs = (e.data && e.data.problems) ? Object.entries(e.data.problems).map(([k, v]) => `${k}: ${v}`).join("\n") : "";
    $("#schema-errors").textContent = e.message + (probs ? "\n" + probs : "");
  }
}

// ------------------------------------------------------------------ review
async function loadQueue() {
  if (!BOOT.run) { $("#review-list").replaceChildren(h("li", {}, "start with --run OUT")); return; }
  const d = await api("GET", "/api/review");
  S.queue = d.items;
  const m = d.manifest;
  $("#manifest").replaceChildren(h("div", { class: "hint", id: "counts" },
    `${m.inputs} inputs = ${m.exported} exported + ${m.review} review + ${m.quarantined} quarantined` + (m.reconciles ? " ✓" : " ✗ does not reconcile")));
  $("#review-list").replaceChildren(...S.queue.map(it => h("li", {
    class: "review-item" + (S.review && S.review.sha256 === it.sha256 ? " current" : ""), "data-sha": it.sha256, title: it.source,
    onclick: () => openReview(it.sha256) },
    (it.source || "").split("/").pop(), h("span", { class: "tag" }, it.doc_type || "?"),
    h("span", { class: "why" }, it.reason || ""),
    it.notes.length ? h("span", { class: "note" }, "rejected: " + it.notes[it.notes.length - 1].note) : null)));
  if (!S.queue.length) $("#review-list").replaceChildren(h("li", {}, "the review queue is empty"));
}
async function openReview(sha) {
  status("reading …");
  let d;
  try { d = await api("GET", `/api/review/${sha}`); } catch (e) { status(e.message, "error"); return; }
  S.review = d; S.doc = d; S.flags = d.flags || {}; S.problems = {}; S.meta = {}; S.values = {};
  S.schema = d.schema || { fields: Object.fromEntries(Object.keys(d.fields).map(f => [f, { type: "string" }])) };
  for (const [f, spec] of Object.entries(S.schema.fields)) {
    const v = d.fields[f];
    S.values[f] = fromStored(v, spec, false);
    if (v && v.bbox && v.page) S.meta[f] = { page: v.page, bbox: v.bbox, text: v.text };
    const fl = S.flags[f];
    if (fl && fl.bbox && fl.page && !S.meta[f]) S.meta[f] = { page: fl.page, bbox: fl.bbox };
  }
  S.original = JSON.stringify(S.values);
  loadQueueMarks(sha);
  renderPages(); renderFields();
  $("#panel-head").replaceChildren((d.source || "").split("/").pop(), h("span", { class: "sub" }, `${d.doc_type || "unknown type"}: ${d.reason || ""}`));
  $("#panel-actions").replaceChildren(
    h("label", {}, "Note ", h("textarea", { id: "note", rows: 2, placeholder: "why (required to reject or to override checks)" })),
    h("label", {}, h("input", { type: "checkbox", id: "add-sample" }), " also add as a labeled sample"),
    h("div", { class: "row right" },
      h("button", { id: "reject", class: "danger", onclick: () => reject(), title: "Reject (X)" }, "Reject"),
      h("button", { id: "approve", class: "primary", onclick: () => approve(false), title: "Approve (A)" }, "Approve & export")));
  const first = Object.keys(S.flags)[0] || Object.keys(S.schema.fields)[0];
  setActive({ field: first });
  const box = $(`.box[data-field="${first}"]`); if (box) box.scrollIntoView({ block: "center" });
  status(`${Object.keys(S.flags).length} flagged field(s): ${Object.entries(S.flags).map(([k, v]) => `${k} (${v.message})`).join("; ")}`);
}
function loadQueueMarks(sha) { $$("#review-list li").forEach(li => li.classList.toggle("current", li.dataset.sha === sha)); }
function reviewValues() {
  const out = {};
  for (const [f, v] of Object.entries(tablesClean(S.values))) out[f] = { value: v, ...(S.meta[f] || {}) };
  return out;
}
async function approve(force) {
  if (!S.review) return;
  const body = { values: reviewValues(), note: $("#note").value, force, add_sample: $("#add-sample").checked };
  try {
    const r = await api("POST", `/api/review/${S.review.sha256}/approve`, body);
    status(`approved and exported (${r.changes} correction(s)); ${r.manifest.exported} exported, ${r.manifest.review} in review` + (r.sample ? `; added sample ${r.sample.split("/").pop()}` : ""), "ok");
    const idx = S.queue.findIndex(it => it.sha256 === S.review.sha256);
    clearViewer(); await loadQueue();
    if (S.queue.length) openReview(S.queue[Math.min(idx, S.queue.length - 1)].sha256);
  } catch (e) {
    status(e.message, "error");
    if (e.data && e.data.needs_override) {
      for (const c of e.data.checks) { const f = c.split(":")[0].split(".")[0]; S.flags[f] = { kind: "failed", message: "still fails " + c }; }
      renderFields(); renderBoxes();
      if (!$("#approve-anyway")) $("#panel-actions .row").append(h("button", { id: "approve-anyway", onclick: () => approve(true), title: "needs a note" }, "Approve anyway"));
    }
  }
}
async function reject() {
  if (!S.review) return;
  try {
    await api("POST", `/api/review/${S.review.sha256}/reject`, { note: $("#note").value, values: reviewValues() });
    status("rejected: stays in review with your note", "ok");
    await loadQueue(); loadQueueMarks(S.review.sha256);
  } catch (e) { status(e.message, "error"); $("#note").focus(); }
}

// ------------------------------------------------------------------ compile
async function recompile() {
  const doc_type = $("#compile-doctype").value;
  try {
    const job = await api("POST", "/api/compile", { doc_type });
    S.compileJob = job; renderCompile(job);
    pollCompile(job.id);
  } catch (e) { status(e.message, "error"); }
}
async function pollCompile(id) {
  const job = await api("GET", `/api/compile/${id}`);
  renderCompile(job);
  if (job.state === "running") setTimeout(() => pollCompile(id), 1000);
}
function renderCompile(job) {
  $("#compile-title").textContent = `Recompile ${job.doc_type}: ${job.state}`;
  $("#compile-view").dataset.state = job.state;
  $("#compile-msg").textContent = job.message || (job.state === "running" ? "compiling …" : "");
  $("#recompile").disabled = job.state === "running";
  $("#compile-table tbody").replaceChildren(...job.rows.map(r => h("tr", { class: r.regressed ? "regressed" : (r.delta > 0 ? "improved" : "") },
    h("td", {}, r.field), h("td", {}, fmt(r.before)), h("td", {}, fmt(r.after)),
    h("td", {}, r.delta === null ? "" : (r.delta > 0 ? "+" : "") + r.delta.toFixed(3)), h("td", {}, r.regressed ? "regression" : ""))));
  $("#compile-actions").replaceChildren(...(job.state === "blocked" ? [
    h("button", { class: "danger", onclick: () => compileAction(job.id, "promote") }, "Accept the drop and install"),
    h("button", { onclick: () => compileAction(job.id, "discard") }, "Discard")] : []));
  $("#compile-log").textContent = job.log.join("\n");
  if (job.state !== "running") status(job.message, job.state === "failed" || job.state === "blocked" ? "error" : "ok");
}
const fmt = x => x === null || x === undefined ? "—" : x.toFixed(3);
async function compileAction(id, action) { try { renderCompile(await api("POST", `/api/compile/${id}/${action}`)); } catch (e) { status(e.message, "error"); } }

// ------------------------------------------------------------------ keyboard
document.addEventListener("keydown", ev => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName);
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") { ev.preventDefault(); if (S.mode === "label") saveLabel(); return; }
  if ($("dialog[open]")) return;
  if (ev.key === "Escape") { $$(".word.sel").forEach(el => el.classList.remove("sel")); if (typing) ev.target.blur(); return; }
  if (typing) {
    if (ev.key === "Enter" && ev.target.closest("#fields")) { ev.preventDefault(); next(1); focusActive(); }
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key;
  const docNav = d => {
    if (S.mode === "label" && S.docs.length) { const i = S.docs.findIndex(x => x.name === S.docName); openLabelDoc(S.docs[Math.max(0, Math.min(S.docs.length - 1, i + d))].name); }
    if (S.mode === "review" && S.queue.length) { const i = S.queue.findIndex(x => S.review && x.sha256 === S.review.sha256); openReview(S.queue[Math.max(0, Math.min(S.queue.length - 1, i + d))].sha256); }
  };
  const actions = {
    l: () => setMode("label"), r: () => setMode("review"), c: () => setMode("compile"),
    j: () => next(1), k: () => next(-1), n: () => docNav(1), p: () => docNav(-1),
    s: () => S.mode === "label" && saveLabel(), a: () => S.mode === "review" && approve(false), x: () => S.mode === "review" && reject(),
    "?": () => $("#help-dialog").showModal(), e: () => focusActive(),
    Delete: () => { if (S.active) { setVal(S.active, S.active.row === undefined && S.schema.fields[S.active.field].type === "table" ? [] : ""); if (S.active.row === undefined) delete S.meta[S.active.field]; renderFields(); renderBoxes(); } },
  };
  const fn = actions[k] || actions[k.toLowerCase()];
  if (fn) { ev.preventDefault(); fn(); }
});
function focusActive() {
  const t = S.active; if (!t) return;
  const el = t.row === undefined ? $(`.field[data-field="${t.field}"] > input`) : $(`.field table input[data-field="${t.field}"][data-row="${t.row}"][data-col="${t.col}"]`);
  if (el) el.focus();
}

// ------------------------------------------------------------------ wiring
$$(".tab").forEach(t => t.addEventListener("click", () => setMode(t.dataset.mode)));
$("#doctype").addEventListener("change", ev => { S.docName = null; clearViewer(); openDoctype(ev.target.value); });
$("#new-doctype").addEventListener("click", () => openSchemaEditor(true));
$("#edit-schema").addEventListener("click", () => S.doctype && openSchemaEditor(false));
$("#schema-add-field").addEventListener("click", () => $(".f-name", addFieldRow("", { type: "string" })).focus());
$("#schema-save").addEventListener("click", saveSchema);
$("#schema-cancel").addEventListener("click", () => $("#schema-dialog").close());
$("#help-btn").addEventListener("click", () => $("#help-dialog").showModal());
$("#recompile").addEventListener("click", recompile);
$("#compile-doctype").addEventListener("change", ev => { S.doctype = ev.target.value; });
$("#upload").addEventListener("change", async ev => {
  const file = ev.target.files[0]; if (!file || !S.doctype) return;
  const fd = new FormData(); fd.append("file", file);
  try { const r = await api("POST", `/api/doctypes/${S.doctype}/upload`, fd); ev.target.value = ""; await openDoctype(S.doctype); await openLabelDoc(r.name); }
  catch (e) { status(e.message, "error"); }
});
setMode(BOOT.run ? "review" : "label");
