// timechat ui: the player, its timeline, live queries and the batch results browser.
// Plain DOM code, no framework and nothing fetched from outside (the page's CSP forbids it).
"use strict";

const $ = (id) => document.getElementById(id);
const state = {info: null, ref: null, record: null, gt: [], gtShown: null, results: null, sort: ["n", 1]};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") Object.assign(node.style, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function api(url, options = {}) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) throw new Error(body.error || body.detail || response.statusText);
  return body;
}

const mediaUrl = (ref) => "/media/" + ref.split("/").map(encodeURIComponent).join("/");
const fmt = (t) => (t == null ? "" : Number(t).toFixed(1));
const setStatus = (text) => { $("status").textContent = text; };

// ---------------------------------------------------------------- the timeline

function duration() {
  const rec = state.record;
  const ends = [];
  const parsed = (rec && rec.parsed) || {};
  for (const w of parsed.windows || []) ends.push(w[1]);
  for (const e of parsed.events || []) ends.push(e.end);
  if (rec && rec.duration) return rec.duration;
  const gt = state.gtShown;
  if (gt && gt.duration) return gt.duration;
  const player = $("player");
  if (isFinite(player.duration) && player.duration > 0) return player.duration;
  return Math.max(1, ...ends);
}

function seek(t) {
  const player = $("player");
  player.currentTime = Math.max(0, t);
}

function mark(lane, start, end, d, cls, label, title) {
  const left = Math.max(0, Math.min(start, d)) / d * 100;
  const width = Math.max(0, Math.min(end, d) - Math.max(0, Math.min(start, d))) / d * 100;
  const node = el("div", {class: "mark " + cls, title: title || `${fmt(start)} – ${fmt(end)} s`,
                          "data-start": start, "data-end": end,
                          style: {left: left + "%", width: `max(${width}%, 3px)`}}, label || "");
  node.addEventListener("click", (ev) => { ev.stopPropagation(); seek(start); });
  lane.append(node);
  return node;
}

// chapters that overlap go to separate rows
function rows(events) {
  const ends = [];
  return events.map((ev) => {
    let r = ends.findIndex((end) => end <= ev.start);
    if (r < 0) { r = ends.length; ends.push(0); }
    ends[r] = ev.end;
    return r;
  });
}

function drawEvents(lane, events, d, cls) {
  const r = rows(events);
  const n = Math.max(1, ...r.map((x) => x + 1));
  lane.style.height = (n * 22 + 4) + "px";
  events.forEach((ev, i) => {
    const node = mark(lane, ev.start, ev.end, d, cls + " chapter", ev.caption,
                      `${fmt(ev.start)} – ${fmt(ev.end)} s: ${ev.caption}`);
    node.style.top = (2 + r[i] * 22) + "px";
  });
}

function drawSaliency(lane, saliency, highlights, d) {
  if (!saliency || !saliency.length) return false;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${d} 5`);
  svg.setAttribute("preserveAspectRatio", "none");
  const top = Math.max(5, ...saliency);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", saliency.map((v, k) => `${2 * k + 1},${5 - 5 * v / top}`).join(" "));
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(line);
  lane.append(svg);
  for (const [t, score] of highlights || []) {
    const at = Array.isArray(t) ? t[0] : t;
    mark(lane, at, at, d, "highlight", "", `highlight at ${fmt(at)} s (saliency ${score})`);
  }
  return true;
}

function drawTimeline() {
  const d = duration();
  for (const id of ["track-pred", "track-gt", "track-sal"]) {
    const lane = $(id).querySelector(".lane");
    lane.replaceChildren();
    lane.style.height = "";
  }
  const pred = $("track-pred").querySelector(".lane");
  const parsed = (state.record && state.record.parsed) || {};
  for (const [s, e] of parsed.windows || []) mark(pred, s, e, d, "window", "");
  if (parsed.events && parsed.events.length) drawEvents(pred, parsed.events, d, "event");
  const sal = $("track-sal").querySelector(".lane");
  let hasSal = drawSaliency(sal, parsed.saliency, parsed.highlights, d);
  const gtLane = $("track-gt").querySelector(".lane");
  const g = state.gtShown;
  if (g) {
    for (const [s, e] of g.windows || []) mark(gtLane, s, e, d, "gt", "");
    if (g.events && g.events.length) drawEvents(gtLane, g.events, d, "gt");
    if (g.saliency && !hasSal) hasSal = drawSaliency(sal, g.saliency, [], d);
  }
  $("track-sal").hidden = !hasSal;
  const axis = $("axis");
  axis.replaceChildren();
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => d / s <= 10) || 1200;
  for (let t = 0; t <= d + 1e-6; t += step) {
    axis.append(el("span", {class: "tick", style: {left: (t / d * 100) + "%"}}, `${t}s`));
  }
  axis.append(el("div", {id: "playhead"}));
  movePlayhead();
}

function movePlayhead() {
  const head = $("playhead");
  const t = $("player").currentTime || 0;
  $("time-now").textContent = `${t.toFixed(1)} s`;
  if (head) head.style.left = Math.min(100, t / duration() * 100) + "%";
}

// ---------------------------------------------------------------- one video and its answer

async function setVideo(ref, {gt} = {}) {
  state.ref = ref;
  state.record = null;
  state.gtShown = null;
  renderRecord();
  const player = $("player");
  if (!ref) { player.removeAttribute("src"); player.load(); drawTimeline(); return; }
  delete player.dataset.meta;
  player.src = mediaUrl(ref);
  $("video-name").textContent = ref;
  const select = $("video-select");
  if (![...select.options].some((o) => o.value === ref)) select.append(el("option", {value: ref}, ref));
  select.value = ref;
  if (gt) {
    state.gt = gt;
  } else {
    try { state.gt = (await api("/api/ground-truth?video=" + encodeURIComponent(ref))).entries; }
    catch (e) { state.gt = []; setStatus(e.message); }
  }
  if (state.gt.length === 1) state.gtShown = state.gt[0];
  renderGt();
  drawTimeline();
}

function renderGt() {
  const list = $("gt-list");
  list.replaceChildren();
  if (!state.gt.length) { list.append(el("li", {class: "muted"}, "no annotations for this video")); return; }
  for (const g of state.gt) {
    const what = g.query || (g.events.length ? `${g.events.length} events` : "");
    const spans = g.windows.map(([s, e]) => `${fmt(s)}–${fmt(e)} s`).join(", ");
    const li = el("li", {class: g === state.gtShown ? "selected" : ""},
                  el("b", {}, g.task), " ", what, " ", el("span", {class: "muted"}, spans),
                  el("span", {class: "muted small"}, g.source ? `  (${g.source})` : ""));
    li.addEventListener("click", () => {
      state.gtShown = g;
      $("task").value = g.task === "grounding" || g.task === "highlight" || g.task === "dvc" ? g.task : $("task").value;
      if (g.query) $("query").value = g.query;
      renderGt();
      drawTimeline();
    });
    list.append(li);
  }
}

// JSON with arrays of numbers on one line ([2.5, 6.0] rather than four lines)
function compactJson(value) {
  return JSON.stringify(value, null, 1).replace(/\[[-0-9.,e\s]*\]/g, (m) => m.replace(/\s+/g, " ").replace("[ ", "[").replace(" ]", "]"));
}

// the frames of a results-browser item: decoded on demand (same uniform sampling as the model)
async function loadFrames(rec) {
  if (!state.ref || !rec.frames || !rec.frames.timestamps || !rec.frames.timestamps.length) return;
  try {
    const p = new URLSearchParams({video: state.ref, num_frames: rec.frames.timestamps.length});
    const fr = await api("/api/frames?" + p);
    if (state.record === rec) { rec.frame_images = fr.images; renderRecord(); }
  } catch (e) { $("frames-info").textContent += ` (frames: ${e.message})`; }
}

function renderRecord() {
  const rec = state.record;
  const badge = $("parse-status");
  $("raw-text").textContent = rec ? (rec.status === "ok" ? rec.text : `failed: ${rec.error}`) : "";
  $("parsed").textContent = rec && rec.parsed ? compactJson(rec.parsed) : "";
  $("prompt").textContent = rec && rec.prompt ? "prompt: " + rec.prompt : "";
  const status = rec ? (rec.status !== "ok" ? "failed" : rec.parse_status || "no parser (ask)") : "";
  badge.textContent = status;
  badge.className = "badge " + (status === "ok" ? "ok" : status ? "warn" : "");
  // the model says which videos it knows (its manifest's trained_on); the record says whether this is one
  const outside = $("domain-warning");
  outside.hidden = !(rec && rec.in_domain === false);
  const kind = state.info.trained_on ? ` (\`timechat synth --scenes ${state.info.trained_on}\`)` : "";
  outside.textContent = outside.hidden ? "" : `Not a video of the only kind the model was trained on${kind}: ` +
    "its answer is likely meaningless.";
  const frames = $("frames");
  frames.replaceChildren();
  const stamps = (rec && rec.frames && rec.frames.timestamps) || [];
  const images = (rec && rec.frame_images) || [];
  stamps.forEach((t, k) => {
    const fig = el("figure", {class: "frame", title: `frame ${rec.frames.indices[k]} at ${t} s`},
                   images[k] ? el("img", {src: images[k], alt: `frame at ${t} s`}) : el("div", {class: "noimg"}),
                   el("figcaption", {}, `${Number(t).toFixed(2)} s`));
    fig.addEventListener("click", () => seek(t));
    frames.append(fig);
  });
  $("frames-info").textContent = stamps.length
    ? `${stamps.length} frames` + (images.length ? "" : " (decoding ...)") : "";
}

async function run() {
  if (!state.ref) { setStatus("pick a video first"); return; }
  const task = $("task").value;
  setStatus(`running ${task} ...`);
  $("run").disabled = true;
  const t0 = performance.now();
  try {
    const rec = await api("/api/infer", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({video: state.ref, task, query: $("query").value})});
    state.record = rec;
    const g = state.gt.find((x) => x.query && x.query === rec.query) || state.gtShown;
    state.gtShown = g || null;
    renderRecord();
    renderGt();
    drawTimeline();
    setStatus(`answered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    setStatus("error: " + e.message);
  } finally {
    $("run").disabled = false;
  }
}

async function upload(file) {
  const limit = state.info.max_upload_bytes;
  if (file.size > limit) { setStatus(`too large: ${file.size} bytes (limit ${limit})`); return; }
  setStatus(`uploading ${file.name} ...`);
  try {
    const res = await api("/api/upload?name=" + encodeURIComponent(file.name), {method: "POST", body: file});
    setStatus(`uploaded ${file.name}`);
    await setVideo(res.ref);
  } catch (e) { setStatus("upload failed: " + e.message); }
}

// ---------------------------------------------------------------- the batch results browser

function resultParams() {
  const p = new URLSearchParams({pred: $("res-pred").value});
  if ($("res-gt").value) p.set("gt", $("res-gt").value);
  if ($("res-per-item").value) p.set("per_item", $("res-per-item").value);
  return p;
}

async function openResults() {
  if (!$("res-pred").value) { $("res-status").textContent = "no predictions file in the data folder"; return; }
  try {
    state.results = {params: resultParams(), items: (await api("/api/results?" + resultParams())).items};
  } catch (e) { $("res-status").textContent = "error: " + e.message; return; }
  const statuses = [...new Set(state.results.items.map((r) => String(r.parse_status ?? r.status)))].sort();
  const sel = $("f-status");
  sel.replaceChildren(el("option", {value: ""}, "all"), ...statuses.map((s) => el("option", {value: s}, s)));
  $("res-status").textContent = `${state.results.items.length} items`;
  renderTable();
}

function renderTable() {
  const body = $("res-table").querySelector("tbody");
  body.replaceChildren();
  if (!state.results) return;
  const status = $("f-status").value;
  const lo = parseFloat($("f-iou-min").value), hi = parseFloat($("f-iou-max").value);
  const text = $("f-text").value.toLowerCase();
  let items = state.results.items.filter((r) =>
    (!status || String(r.parse_status ?? r.status) === status) &&
    (isNaN(lo) || (r.iou != null && r.iou >= lo)) && (isNaN(hi) || (r.iou != null && r.iou <= hi)) &&
    (!text || `${r.id} ${r.video} ${r.query || ""}`.toLowerCase().includes(text)));
  const [key, dir] = state.sort;
  items = items.slice().sort((a, b) => {
    const x = a[key], y = b[key];
    if (x == null && y == null) return a.n - b.n;
    if (x == null) return 1;
    if (y == null) return -1;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
  });
  for (const r of items) {
    const tr = el("tr", {"data-n": r.n},
      el("td", {}, r.n), el("td", {}, r.id), el("td", {}, r.video), el("td", {}, r.task), el("td", {}, r.query || ""),
      el("td", {class: r.parse_status === "ok" ? "ok" : "warn"}, r.parse_status ?? r.status),
      el("td", {}, r.iou == null ? "" : r.iou.toFixed(3)));
    tr.addEventListener("click", () => openItem(r.n));
    body.append(tr);
  }
  $("res-count").textContent = `${items.length} shown`;
  for (const th of $("res-table").querySelectorAll("th")) {
    th.classList.toggle("sorted", th.dataset.key === key);
    th.dataset.dir = th.dataset.key === key ? (dir > 0 ? "▲" : "▼") : "";
  }
}

async function openItem(n) {
  const params = new URLSearchParams(state.results.params);
  params.set("n", n);
  let item;
  try { item = await api("/api/results/item?" + params); }
  catch (e) { $("res-status").textContent = "error: " + e.message; return; }
  showView("watch");
  if (!item.video_ref) setStatus(`video ${item.record.video} is not in the served folder`);
  await setVideo(item.video_ref, item.ground_truth.length ? {gt: item.ground_truth} : {});
  state.record = item.record;
  state.gtShown = item.ground_truth[0] || state.gt.find((g) => g.query && g.query === item.record.query) || null;
  $("task").value = item.record.task;
  $("query").value = item.record.query || "";
  renderRecord();
  renderGt();
  drawTimeline();
  loadFrames(item.record);
  const m = item.metrics;
  setStatus(`item ${n} of the predictions` + (m && m.iou != null ? ` · IoU ${m.iou.toFixed(3)}` : ""));
}

function showView(name) {
  $("view-watch").hidden = name !== "watch";
  $("view-results").hidden = name !== "results";
  $("tab-watch").classList.toggle("active", name === "watch");
  $("tab-results").classList.toggle("active", name === "results");
}

async function loadFiles() {
  const files = await api("/api/files");
  const fill = (id, refs, none) => {
    const sel = $(id);
    sel.replaceChildren(...(none ? [el("option", {value: ""}, "(none)")] : []),
                        ...refs.map((r) => el("option", {value: r}, r)));
  };
  fill("res-pred", files.predictions, false);
  fill("res-gt", files.ground_truth, true);
  fill("res-per-item", files.per_item, true);
}

// ---------------------------------------------------------------- start

async function start() {
  state.info = await api("/api/info");
  const frames = state.info.num_frames ? `${state.info.num_frames} frames` : "frames by the model's own rules";
  $("model-name").textContent = state.info.model ? `model: ${state.info.model} · ${frames}`
                                                 : "no model loaded (results browser only)";
  $("run").disabled = !state.info.model;
  $("task").replaceChildren(...state.info.tasks.map((t) => el("option", {value: t}, t)));
  const videos = (await api("/api/videos")).videos;
  $("video-select").append(...videos.map((v) => el("option", {value: v}, v)));
  $("video-select").addEventListener("change", (e) => setVideo(e.target.value));
  $("upload").addEventListener("change", (e) => e.target.files[0] && upload(e.target.files[0]));
  $("run").addEventListener("click", run);
  $("query").addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
  const player = $("player");
  player.addEventListener("timeupdate", movePlayhead);
  player.addEventListener("seeked", movePlayhead);
  // the timeline is redrawn with the real duration; tests wait for data-meta to name the video
  player.addEventListener("loadedmetadata", () => { drawTimeline(); player.dataset.meta = state.ref; });
  $("tab-watch").addEventListener("click", () => showView("watch"));
  $("tab-results").addEventListener("click", () => { showView("results"); });
  $("res-open").addEventListener("click", openResults);
  for (const id of ["f-status", "f-iou-min", "f-iou-max", "f-text"]) {
    for (const type of ["input", "change"]) $(id).addEventListener(type, renderTable);
  }
  for (const th of $("res-table").querySelectorAll("th")) {
    th.addEventListener("click", () => {
      const k = th.dataset.key;
      state.sort = [k, state.sort[0] === k ? -state.sort[1] : 1];
      renderTable();
    });
  }
  window.addEventListener("resize", movePlayhead);
  await loadFiles();
  drawTimeline();
  document.body.dataset.ready = "1";
}

start().catch((e) => setStatus("error: " + e.message));
