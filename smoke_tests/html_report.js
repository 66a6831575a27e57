// freshboot's HTML report: draws the grid (variants × phases), its filters and sorting, and
// the timeline from the run's data embedded in the page. No network, no libraries; text goes
// in through textContent only.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("freshboot-data").textContent);
  const STATUSES = ["FAIL", "ERROR", "SKIP", "PASS"]; // also the order "status" sorts in
  const results = data.results;
  const values = (r) => ({ ...r.answers, ...r.axes });
  const keys = [...new Set(results.flatMap((r) => Object.keys(values(r))))];
  const present = (r, k) => values(r)[k] !== undefined; // a question not asked has no value
  const choices = new Map(keys.map((k) => [k, [...new Set(results.filter((r) => present(r, k)).map((r) => String(values(r)[k])))]]));
  const varying = keys.filter((k) => choices.get(k).length > 1);
  const answerKeys = varying.filter((k) => results.some((r) => k in r.answers));
  const state = {
    status: new Set(STATUSES), params: {}, query: "", sort: { key: "", dir: 1 },
    group: answerKeys.length && new Set(results.map((r) => groupKey(r, "answers"))).size < results.length ? "answers" : "none",
  };
  const changed = new Map();
  if (data.changes) {
    for (const kind of ["newly_failing", "fixed", "still_failing", "new"]) {
      for (const c of data.changes[kind]) changed.set(c.variant, kind.replace("_", " "));
    }
    for (const s of data.changes.slower) changed.set(s.variant, `slower ${fmt(s.before)} → ${fmt(s.after)}`);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }
  function fmt(seconds) { return seconds < 10 ? `${seconds.toFixed(2)}s` : `${seconds.toFixed(1)}s`; }
  function groupKey(r, by) {
    if (by === "none") return "";
    const v = values(r);
    const shown = by === "answers" ? answerKeys : [by];
    return shown.filter((k) => k in v).map((k) => `${k}=${v[k]}`).join(" · ");
  }

  function matches(r) {
    if (!state.status.has(r.status)) return false;
    const v = values(r);
    for (const [k, want] of Object.entries(state.params)) if (String(v[k]) !== want) return false;
    for (const term of state.query.split(/\s+/).filter(Boolean)) {
      const at = term.indexOf("=");
      if (at > 0 ? String(v[term.slice(0, at)]) !== term.slice(at + 1) : !r.variant.includes(term)) return false;
    }
    return true;
  }

  function controls() {
    const box = document.getElementById("controls");
    const row = (label, ...items) => box.append(el("div", { class: "row" }, el("span", { class: "label", text: label }), ...items));
    const toggle = (text, cls, pressed, onClick) => {
      const b = el("button", { type: "button", class: cls, "aria-pressed": String(pressed), text });
      b.addEventListener("click", () => { onClick(b); render(); });
      return b;
    };
    row("status", ...STATUSES.map((s) => toggle(`${s} ${results.filter((r) => r.status === s).length}`,
      `status ${s}`, true, (b) => {
        if (state.status.has(s)) state.status.delete(s); else state.status.add(s);
        b.setAttribute("aria-pressed", String(state.status.has(s)));
      })));
    for (const k of varying) {
      row(k, ...choices.get(k).map((value) => {
        const b = toggle(value, "param", false, () => {
          if (state.params[k] === value) delete state.params[k]; else state.params[k] = value;
          for (const other of b.parentNode.querySelectorAll("button")) {
            other.setAttribute("aria-pressed", String(state.params[k] === other.textContent));
          }
        });
        b.dataset.param = `${k}=${value}`;
        return b;
      }));
    }
    const search = el("input", { type: "search", id: "query", placeholder: "id text or key=value …", "aria-label": "filter" });
    search.addEventListener("input", () => { state.query = search.value; render(); });
    const group = el("select", { id: "group", "aria-label": "group by" },
      ...["answers", "none", ...varying].map((k) => el("option", { value: k, text: k === "none" ? "no grouping" : k })));
    group.value = state.group;
    group.addEventListener("change", () => { state.group = group.value; render(); });
    row("filter", search, el("span", { class: "muted", text: "group by" }), group, el("span", { id: "shown" }));
  }

  function head() {
    const columns = [["variant", "variant"], ["status", "status"], ...data.phases.map((p) => [p, p]), ["total", "total"]];
    const tr = el("tr");
    for (const [key, label] of columns) {
      const th = el("th", { scope: "col", "data-sort": key, text: label });
      if (state.sort.key === key) th.setAttribute("aria-sort", state.sort.dir > 0 ? "ascending" : "descending");
      th.addEventListener("click", () => {
        state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
        render();
      });
      tr.append(th);
    }
    return el("thead", {}, tr);
  }

  function sortValue(r, key) {
    if (key === "variant") return r.variant;
    if (key === "status") return STATUSES.indexOf(r.status);
    if (key === "total") return r.duration;
    return r.cells[key] ?? -1;
  }

  function cell(r, phase) {
    const t = r.cells[phase];
    const past = data.phase_order.indexOf(phase) > data.phase_order.indexOf(r.phase);
    if (r.status !== "PASS" && phase === r.phase) {
      return el("td", { class: `cell ${r.status}`, title: `${r.status} in ${phase}: ${r.reason}`, text: t == null ? r.status : fmt(t) });
    }
    if (t != null) return el("td", { class: "cell PASS", title: `${phase}: ${fmt(t)}`, text: fmt(t) });
    if (r.status !== "PASS" && past) return el("td", { class: "cell unreached", title: "not reached", text: "·" });
    return el("td", { class: "cell none", title: `no ${phase} step` });
  }

  function row(r) {
    const failing = r.status === "FAIL" || r.status === "ERROR";
    const name = el("td", { class: "variant" }, failing ? el("a", { href: `#fail-${r.variant}`, text: r.variant }) : r.variant);
    const axes = varying.filter((k) => present(r, k) && !(state.group === "answers" && answerKeys.includes(k)) && k !== state.group);
    if (axes.length) name.append(el("span", { class: "axes", text: axes.map((k) => `${k}=${values(r)[k]}`).join(" ") }));
    if (changed.has(r.variant)) name.append(el("span", { class: "badge", text: changed.get(r.variant) }));
    const tr = el("tr", { "data-variant": r.variant, "data-status": r.status }, name,
      el("td", {}, el("span", { class: `chip ${r.status}`, text: r.status, title: r.reason })));
    tr.append(...data.phases.map((p) => cell(r, p)), el("td", { class: "total", text: fmt(r.duration) }));
    return tr;
  }

  function render() {
    const grid = document.getElementById("grid");
    grid.replaceChildren(head());
    const shown = results.filter(matches);
    if (state.sort.key) {
      const key = state.sort.key;
      shown.sort((a, b) => {
        const x = sortValue(a, key), y = sortValue(b, key);
        return (typeof x === "string" ? x.localeCompare(y) : x - y) * state.sort.dir;
      });
    }
    const groups = new Map();
    for (const r of shown) {
      const k = groupKey(r, state.group);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
    for (const [label, rows] of groups) {
      const body = el("tbody");
      if (state.group !== "none") {
        const counts = STATUSES.map((s) => [s, rows.filter((r) => r.status === s).length]).filter(([, n]) => n);
        body.append(el("tr", {}, el("th", { class: "group", colspan: String(data.phases.length + 3) },
          `${label || "(no answers)"}  `, ...counts.map(([s, n]) => el("span", { class: `chip ${s}`, text: `${n} ${s}` })))));
      }
      body.append(...rows.map(row));
      grid.append(body);
    }
    document.getElementById("shown").textContent = `${shown.length} of ${results.length} variants shown`;
    const visible = new Set(shown.map((r) => r.variant));
    for (const bar of document.querySelectorAll("#timeline .bar")) {
      bar.classList.toggle("dim", !visible.has(bar.dataset.variant));
    }
  }

  function timeline() {
    const box = document.getElementById("timeline");
    const ran = results.filter((r) => r.start != null && r.worker != null);
    if (!ran.length) {
      box.append(el("p", { text: "No variant ran in this run (all were skipped before starting)." }));
      return;
    }
    const end = Math.max(...ran.map((r) => r.start + r.duration), 0.001);
    const lanes = [...new Set(ran.map((r) => r.worker))].sort((a, b) => a - b);
    const left = 130, laneHeight = 24, top = 22;
    const width = Math.max(640, box.clientWidth - 8), span = width - left - 12;
    const x = (t) => left + (t / end) * span;
    const ns = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs = {}, text = "") => {
      const node = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text) node.textContent = text;
      return node;
    };
    const height = top + lanes.length * laneHeight + 6;
    const root = svg("svg", { width, height, role: "img", "aria-label": "which variant ran when on which worker" });
    const step = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800].find((s) => end / s <= 10) ?? 3600;
    for (let t = 0; t <= end + 1e-9; t += step) {
      root.append(svg("line", { x1: x(t), x2: x(t), y1: top - 4, y2: height }), svg("text", { x: x(t) + 2, y: 12 }, `${+t.toFixed(1)}s`));
    }
    lanes.forEach((w, i) => root.append(svg("text", { x: 0, y: top + i * laneHeight + 16 }, laneLabel(w))));
    for (const r of ran) {
      const y = top + lanes.indexOf(r.worker) * laneHeight;
      const bar = svg("rect", { class: `bar ${r.status}`, x: x(r.start), y, height: laneHeight - 4, rx: 2,
        width: Math.max(2, x(r.start + r.duration) - x(r.start)), "data-variant": r.variant });
      bar.append(svg("title", {}, `${r.variant}: ${r.status}, ${fmt(r.duration)} (from ${fmt(r.start)})`));
      bar.addEventListener("click", () => reveal(r.variant));
      root.append(bar);
      if (x(r.start + r.duration) - x(r.start) > r.variant.length * 6.5 + 6) {
        root.append(svg("text", { class: "onbar", x: x(r.start) + 4, y: y + 14 }, r.variant));
      }
    }
    box.append(root);
    const busy = ran.reduce((sum, r) => sum + r.duration, 0) / (lanes.length * end);
    const longest = ran.reduce((a, b) => (b.duration > a.duration ? b : a));
    document.getElementById("utilisation").textContent =
      `${lanes.length} worker(s) busy ${Math.round(busy * 100)}% of ${fmt(end)}; longest: ${longest.variant} (${fmt(longest.duration)}).`;
  }

  function laneLabel(w) {
    const shards = (data.context.shards || []).filter((s) => s.first_worker <= w);
    const shard = shards[shards.length - 1];
    return shard ? `shard ${shard.shard || shard.report} · ${w - shard.first_worker + 1}` : `worker ${w + 1}`;
  }

  function reveal(variant) {
    const tr = [...document.querySelectorAll("#grid tr[data-variant]")].find((t) => t.dataset.variant === variant);
    if (!tr) return;
    tr.scrollIntoView({ block: "center" });
    tr.classList.add("flash");
    setTimeout(() => tr.classList.remove("flash"), 1500);
  }

  async function copy(button) {
    const text = button.dataset.copy;
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch {
      const area = el("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      done = document.execCommand("copy");
      area.remove();
    }
    button.textContent = done ? "Copied" : "Select and copy";
  }

  for (const button of document.querySelectorAll("button.copy")) button.addEventListener("click", () => copy(button));
  controls();
  timeline();
  render();
})();
