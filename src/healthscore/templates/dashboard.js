/* healthscore dashboard: one offline page. Data-derived text reaches the DOM
   through textContent and setAttribute only; no request of any kind. */
(function () {
  "use strict";
  var META = JSON.parse(document.getElementById("hs-meta").textContent);
  var W = META.words;
  var PAGE = 50;
  var LOW_COVERAGE = META.lowCoverage;
  var SVGNS = document.getElementById("hs-svg-ns").namespaceURI;  // the SVG namespace, from the parser
  var L = null, D = null, detailPromise = null, byId = null, lowerIds = null, lowerNames = null;
  var state = { sort: "score", dir: 1, band: "", alert: "", segment: "", parent: "", search: "", page: 0, qpage: 0 };
  var TREE = META.tree || { words: {} };
  var DEFAULT_DIR = { score: 1, change: 1, arr: -1, segment: 1, due: 1, csm: 1 };
  var CSM = META.csm;
  var view = [];

  function w(key, values) {
    var text = Object.prototype.hasOwnProperty.call(W, key) ? W[key] : key;
    if (values) {
      Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    }
    return text;
  }
  function num(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "\u2013";
    var fixed = Math.abs(v).toFixed(digits || 0);
    var parts = fixed.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, META.group);
    var sign = v < 0 && Number(fixed) !== 0 ? "-" : "";
    return sign + whole + (parts[1] ? META.decimal + parts[1] : "");
  }
  function signed(v, digits) { return v > 0 ? "+" + num(v, digits) : num(v, digits); }
  function pct(share, digits) { return share === null || share === undefined ? "\u2013" : num(100 * share, digits || 0) + "%"; }
  function money(v) { return v === null || v === undefined ? "\u2013" : num(v, 0); }
  function compact(v) {
    var size = Math.abs(v);
    if (size >= 1e9) return num(v / 1e9, 1) + "G";
    if (size >= 1e6) return num(v / 1e6, 1) + "M";
    if (size >= 1e4) return num(v / 1e3, 0) + "k";
    return num(v, 0);
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var k = 2; k < arguments.length; k++) add(node, arguments[k]);
    return node;
  }
  function sv(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    for (var k = 2; k < arguments.length; k++) add(node, arguments[k]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, String(attrs[k]));
    });
  }
  function add(node, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(node, k); }); return; }
    node.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function section(name) { return document.querySelector('section[data-view="' + name + '"]'); }

  function unpack(id) {
    var text = JSON.parse(document.getElementById(id).textContent);
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  function detail() {
    if (!detailPromise) detailPromise = unpack("hs-data-detail").then(function (d) { D = d; return d; });
    return detailPromise;
  }

  // -- shared pieces ------------------------------------------------------------------
  function band(i) { return L.bd[i] >= 0 ? META.bands[L.bd[i]] : null; }
  function bandChip(b, attrs) {
    var a = attrs || {};
    a["class"] = "hd-chip";
    if (b) a.style = "background:" + b.colour;
    return el("span", a, b ? b.label : "\u2013");
  }
  function scoreText(code) { return code < 0 ? "\u2013" : num(code / 10, 1); }
  function alertLabel(i) { return L.al[i] >= 0 ? L.alerts[L.al[i]].label : "\u2013"; }
  function accountLink(i) {
    return el("a", { href: "#account/" + encodeURIComponent(L.id[i]), "data-link": "account" }, L.id[i]);
  }
  function sparkline(i) {
    var width = L.spw, box = sv("svg", { "class": "hd-spark", viewBox: "0 0 80 22", width: 80, height: 22, role: "img" });
    if (!width) return box;
    var pts = [], base = i * width;
    for (var k = 0; k < width; k++) {
      var v = L.sp[base + k];
      if (v >= 0) pts.push((width === 1 ? 40 : 2 + 76 * k / (width - 1)).toFixed(1) + "," + (20 - 18 * v / 100).toFixed(1));
    }
    var b = band(i);
    if (pts.length) {
      box.appendChild(sv("polyline", { points: pts.join(" "), fill: "none", stroke: b ? b.colour : "#555", "stroke-width": 1.6 }));
      var last = pts[pts.length - 1].split(",");
      box.appendChild(sv("circle", { cx: last[0], cy: last[1], r: 2, fill: b ? b.colour : "#555" }));
    }
    if (L.drop[i]) box.appendChild(sv("title", null, w("drop_alert")));
    return box;
  }
  function coverageMeter(code) {
    var low = code >= 0 && code < LOW_COVERAGE;
    var wrap = el("span", { "class": "hd-meter" + (low ? " hd-low" : ""), title: low ? w("low_coverage") : w("coverage") });
    var bar = el("span", { "class": "hd-meter-bar" });
    bar.appendChild(el("span", { "class": "hd-meter-fill", style: "width:" + Math.max(0, code) + "%" }));
    wrap.appendChild(bar);
    wrap.appendChild(el("span", { "class": "hd-meter-text" }, code < 0 ? "\u2013" : code + "%" + (low ? " \u26a0" : "")));
    return wrap;
  }
  function driverList(i) {
    return L.dr[i].map(function (d) { return L.drivers[d].label; }).join(", ");
  }
  // the CSM's read: [colour 0 red..2 green, read in words, stale, disagreement steps, that in words]
  function cw(key, values) {
    var text = Object.prototype.hasOwnProperty.call(CSM.words, key) ? CSM.words[key] : key;
    if (values) Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  }
  // account trees: L.pa parent index (-1 at the top), L.os own score (x10), L.kids children's indices
  function tw(key, values) {
    var text = Object.prototype.hasOwnProperty.call(TREE.words, key) ? TREE.words[key] : key;
    if (values) Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  }
  function depth(i) {
    var d = 0;
    for (var p = L.pa[i]; p >= 0 && d <= L.id.length; p = L.pa[p]) d++;
    return d;
  }
  function within(i, top) {  // whether account i is top or lies under it
    for (var p = i, d = 0; p >= 0 && d <= L.id.length; p = L.pa[p], d++) { if (p === top) return true; }
    return false;
  }
  function childrenText(i) { return L.kids[i].length === 1 ? tw("one_child") : tw("n_children", { n: num(L.kids[i].length) }); }
  function treeCell(i) {  // under the account id: its parent, or how many children it has
    var out = el("div", { "class": "hd-tree" });
    if (L.pa[i] >= 0) out.appendChild(el("span", { "data-field": "parent" }, tw("child_of", { parent: "" }), accountLink(L.pa[i])));
    if (L.kids[i].length) out.appendChild(el("span", { "class": "hd-tag", "data-field": "children" }, childrenText(i)));
    return out;
  }
  function csmDisagrees(r) { return r && !r[2] && r[3] !== null && r[3] !== 0; }
  function csmSteps(r) {
    if (!r || r[3] === null) return null;
    var cls = "hd-steps-badge" + (csmDisagrees(r) ? " hd-disagree" : "") + (r[2] ? " hd-stale-read" : "");
    return el("span", { "class": cls, "data-field": "disagreement", title: r[4] }, r[3] === 0 ? "=" : signed(r[3], 0));
  }
  function csmCell(i) {
    var r = L.cr ? L.cr[i] : null;
    if (!r) return el("span", { "class": "hd-muted" }, cw("csm_none"));
    return el("span", { "class": "hd-csm", "data-csm": ["red", "yellow", "green"][r[0]] },
      el("span", { "class": "hd-dot", style: "background:" + CSM.colours[r[0]] }), r[1],
      r[2] ? el("span", { "class": "hd-tag hd-stale-read", "data-field": "stale", title: cw("csm_stale_note", { days: num(CSM.staleDays) }) }, cw("csm_stale")) : null,
      " ", csmSteps(r));
  }
  function pager(kind, page, pages, total, onMove) {
    var bar = el("div", { "class": "hd-pager", "data-pager": kind });
    var prev = el("button", { type: "button", "data-page": "prev", disabled: page <= 0 }, w("previous"));
    var next = el("button", { type: "button", "data-page": "next", disabled: page >= pages - 1 }, w("next"));
    prev.addEventListener("click", function () { onMove(page - 1); });
    next.addEventListener("click", function () { onMove(page + 1); });
    bar.appendChild(prev);
    bar.appendChild(el("span", { "data-page": "info" }, w("page_of", { page: num(page + 1), pages: num(Math.max(1, pages)), total: num(total) })));
    bar.appendChild(next);
    return bar;
  }

  // -- header -------------------------------------------------------------------------
  function renderHeader() {
    var h = META.header, root = document.getElementById("hs-header");
    var facts = el("div", { "class": "hd-facts" },
      el("span", { "data-field": "as-of" }, w("as_of") + " " + h.as_of),
      el("span", { "data-field": "model" }, w("model") + " " + h.model + " \u00b7 " + h.version.slice(0, 12)),
      el("span", { "data-field": "accounts" }, w("accounts_scored", { n: num(h.accounts) })),
      el("span", null, w("arr") + " " + money(h.arr)));
    var cards = el("div", { "class": "hd-cards" });
    h.bands.forEach(function (row) {
      var b = META.bands.filter(function (x) { return x.name === row.band; })[0];
      var change = row.change === null ? w("no_previous") : w("since_previous", { change: signed(row.change, 0), date: h.prev });
      cards.appendChild(el("div", { "class": "hd-card", "data-band": row.band, style: "border-top-color:" + (b ? b.colour : "#888") },
        el("div", { "class": "hd-card-title" }, b ? b.label : row.band),
        el("div", { "class": "hd-card-big" }, num(row.accounts)),
        el("div", null, pct(row.share, 1) + " \u00b7 " + w("arr") + " " + money(row.arr) + (row.arr_share === null ? "" : " (" + pct(row.arr_share, 1) + ")")),
        el("div", { "class": "hd-muted", "data-field": "band-change" }, change)));
    });
    root.appendChild(facts);
    root.appendChild(cards);
  }

  // -- the account list ---------------------------------------------------------------
  function sortKey(col) {
    if (col === "score") return function (i) { return L.sc[i] < 0 ? null : L.sc[i]; };
    if (col === "change") return function (i) { return L.c30[i]; };
    if (col === "arr") return function (i) { return L.arr[i]; };
    if (col === "due") return function (i) { return L.due[i] < 0 ? null : L.due[i]; };
    if (col === "csm") return function (i) {  // the widest fresh disagreement first, then stale ones, then agreement
      var r = L.cr ? L.cr[i] : null;
      return !r || r[3] === null ? null : -(2 * Math.abs(r[3]) + (r[2] ? 0 : 1));
    };
    return function (i) { return L.segs[L.sg[i]] || null; };
  }
  function compute() {
    var n = L.id.length, out = [], q = state.search.trim().toLowerCase();
    if (q && !lowerIds) {
      lowerIds = L.id.map(function (s) { return s.toLowerCase(); });
      lowerNames = L.nm ? L.nm.map(function (s) { return (s || "").toLowerCase(); }) : null;
    }
    var fb = state.band === "" ? -1 : Number(state.band), fa = state.alert === "" ? -1 : Number(state.alert);
    var fs = state.segment === "" ? -1 : Number(state.segment);
    var fp = state.parent === "" || !L.pa ? -1 : Number(state.parent);
    for (var i = 0; i < n; i++) {
      if (fp >= 0 && !within(i, fp)) continue;
      if (fb >= 0 && L.bd[i] !== fb) continue;
      if (fa >= 0 && L.al[i] !== fa) continue;
      if (fs >= 0 && L.sg[i] !== fs) continue;
      if (q && lowerIds[i].indexOf(q) < 0 && !(lowerNames && lowerNames[i].indexOf(q) >= 0)) continue;
      out.push(i);
    }
    var key = sortKey(state.sort), dir = state.dir;
    var keys = new Array(n);
    out.forEach(function (i) { keys[i] = key(i); });
    out.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      if (ka === null || ka === undefined) return kb === null || kb === undefined ? a - b : 1;
      if (kb === null || kb === undefined) return -1;
      if (ka < kb) return -dir;
      if (ka > kb) return dir;
      return a - b;
    });
    view = out;
  }
  function renderFilters() {
    var root = document.getElementById("hs-filters");
    function select(kind, label, options) {
      var s = el("select", { "data-filter": kind, "aria-label": label });
      s.appendChild(el("option", { value: "" }, w("all") + " (" + label + ")"));
      options.forEach(function (o) { s.appendChild(el("option", { value: o[0] }, o[1])); });
      s.addEventListener("change", function () { state[kind] = s.value; state.page = 0; refreshList(); });
      return el("label", null, s);
    }
    root.appendChild(select("band", w("band"), META.bands.map(function (b, k) { return [k, b.label]; })));
    root.appendChild(select("alert", w("alert"), L.alerts.map(function (a, k) { return [k, a.label]; })));
    root.appendChild(select("segment", w("segment"), L.segs.map(function (s, k) { return [k, s || w("no_segment")]; })));
    if (L.pa) {
      var parents = [];
      L.kids.forEach(function (k, i) { if (k.length) parents.push([i, L.id[i] + (L.nm && L.nm[i] ? " \u00b7 " + L.nm[i] : "")]); });
      root.appendChild(select("parent", tw("parent"), parents));
    }
    var search = el("input", { type: "search", "data-filter": "search", placeholder: w("search"), "aria-label": w("search") });
    search.addEventListener("input", function () { state.search = search.value; state.page = 0; refreshList(); });
    root.appendChild(search);
    root.appendChild(el("span", { "class": "hd-muted", id: "hs-count" }));
  }
  function renderListHead() {
    var row = document.querySelector("#hs-list thead tr");
    var cols = [["account", null], ["segment", "segment"], ["score", "score"], ["change_30", "change"], ["trend", null],
      ["coverage", null], ["drivers", null], ["arr", "arr"], ["due", "due"], ["csm_read", "csm"]];
    cols.forEach(function (c) {
      var th = el("th", { "data-sort": c[1], scope: "col" }, c[1] === "csm" ? cw(c[0]) : w(c[0]));
      if (c[1]) {
        th.classList.add("hd-sortable");
        th.addEventListener("click", function () {
          if (state.sort === c[1]) state.dir = -state.dir; else { state.sort = c[1]; state.dir = DEFAULT_DIR[c[1]]; }
          state.page = 0;
          refreshList();
        });
      }
      row.appendChild(th);
    });
  }
  function listRow(i) {
    var b = band(i);
    var who = el("td", { "data-col": "account" }, accountLink(i));
    if (L.nm && L.nm[i]) who.appendChild(el("div", { "class": "hd-name" }, L.nm[i]));
    if (L.pa) {
      who.appendChild(treeCell(i));
      var d = state.parent === "" ? 0 : depth(i) - depth(Number(state.parent));
      who.setAttribute("data-level", String(depth(i)));
      if (d > 0) who.style.paddingLeft = (8 + 18 * d) + "px";
    }
    var score = el("td", { "data-col": "score", "class": "hd-num" },
      el("span", { "class": "hd-dot", style: "background:" + (b ? b.colour : "#999") }), scoreText(L.sc[i]),
      L.ov[i] ? el("span", { "class": "hd-tag", title: w("override") }, "\u270e") : null);
    var change = L.c30[i];
    return el("tr", { "data-account": L.id[i], "data-band": b ? b.name : "" },
      who,
      el("td", { "data-col": "segment" }, L.segs[L.sg[i]]),
      score,
      el("td", { "data-col": "change", "class": "hd-num" + (change !== null && change < 0 ? " hd-neg" : "") }, change === null ? "\u2013" : signed(change, 1), L.drop[i] ? el("span", { "class": "hd-drop", title: w("drop_alert") }, " \u25bc") : null),
      el("td", { "data-col": "trend" }, sparkline(i)),
      el("td", { "data-col": "coverage" }, coverageMeter(L.cv[i])),
      el("td", { "data-col": "drivers", "class": "hd-drivers" }, driverList(i)),
      el("td", { "data-col": "arr", "class": "hd-num" }, money(L.arr[i])),
      el("td", { "data-col": "due" }, L.due[i] >= 0 ? L.dues[L.due[i]] : "\u2013"),
      el("td", { "data-col": "csm" }, csmCell(i)));
  }
  function refreshList() {
    compute();
    var pages = Math.ceil(view.length / PAGE);
    state.page = Math.max(0, Math.min(state.page, pages - 1));
    var body = clear(document.querySelector("#hs-list tbody"));
    var start = state.page * PAGE;
    var frag = document.createDocumentFragment();
    view.slice(start, start + PAGE).forEach(function (i) { frag.appendChild(listRow(i)); });
    body.appendChild(frag);
    if (!view.length) body.appendChild(el("tr", null, el("td", { colspan: 10, "class": "hd-empty" }, w("no_match"))));
    document.querySelectorAll("#hs-list th[data-sort]").forEach(function (th) {
      var on = th.getAttribute("data-sort") === state.sort;
      th.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    document.getElementById("hs-count").textContent = w("n_accounts", { n: num(view.length) });
    var slot = clear(document.getElementById("hs-list-pager"));
    slot.appendChild(pager("list", state.page, pages, view.length, function (p) { state.page = p; refreshList(); }));
  }

  // -- the account page ---------------------------------------------------------------
  function indexOf(id) {
    if (!byId) { byId = new Map(); L.id.forEach(function (a, i) { byId.set(a, i); }); }
    return byId.has(id) ? byId.get(id) : -1;
  }
  function historyChart(i, policy) {
    var width = 640, height = 200, left = 34, right = 10, top = 8, bottom = 24;
    var box = sv("svg", { "class": "hd-history", viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": w("score_history") });
    var y = function (v) { return top + (height - top - bottom) * (1 - v / 100); };
    var bands = policy.bands, upper = 100;
    bands.forEach(function (pair) {
      var b = META.bands.filter(function (x) { return x.name === pair[0]; })[0];
      box.appendChild(sv("rect", { x: left, y: y(upper), width: width - left - right, height: Math.max(0, y(pair[1]) - y(upper)), fill: b ? b.colour : "#ccc", opacity: 0.13 }));
      upper = pair[1];
    });
    [0, 20, 40, 60, 80, 100].forEach(function (v) {
      box.appendChild(sv("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end", "class": "hd-axis" }, String(v)));
    });
    var n = L.spw || 0, dates = META.isoDates;
    var x = function (k) { return n <= 1 ? (left + width - right) / 2 : left + (width - left - right) * k / (n - 1); };
    (D.overrides || []).forEach(function (o) {
      if (o.i !== i) return;
      var first = -1, last = -1;
      dates.forEach(function (d, k) { if (d >= o.from && d < o.to) { if (first < 0) first = k; last = k; } });
      if (first >= 0) {
        box.appendChild(sv("rect", { x: x(first) - 4, y: top, width: x(last) - x(first) + 8, height: height - top - bottom, fill: "#5c6bc0", opacity: 0.15, "data-mark": "override" },
          sv("title", null, w("override") + ": " + o.reason)));
      }
    });
    var pts = [];
    for (var k = 0; k < n; k++) {
      var v = L.sp[i * n + k];
      if (v >= 0) pts.push([x(k), y(v), k, v]);
    }
    if (pts.length) {
      box.appendChild(sv("polyline", { points: pts.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" "), fill: "none", stroke: "#263238", "stroke-width": 2 }));
      pts.forEach(function (p) { box.appendChild(sv("circle", { cx: p[0], cy: p[1], r: 2.5, fill: "#263238" }, sv("title", null, META.dates[p[2]] + ": " + p[3]))); });
      if (L.drop[i]) {
        var end = pts[pts.length - 1];
        box.appendChild(sv("circle", { cx: end[0], cy: end[1], r: 7, fill: "none", stroke: "#c62828", "stroke-width": 2, "data-mark": "drop" }, sv("title", null, w("drop_alert"))));
        box.appendChild(sv("line", { x1: end[0], x2: end[0], y1: top, y2: height - bottom, stroke: "#c62828", "stroke-dasharray": "3 3", "stroke-width": 1 }));
        box.appendChild(sv("text", { x: end[0] - 6, y: top + 12, "text-anchor": "end", "class": "hd-drop-label" }, w("drop_alert")));
      }
    }
    if (n) {
      box.appendChild(sv("text", { x: left, y: height - 6, "class": "hd-axis" }, META.dates[0]));
      box.appendChild(sv("text", { x: width - right, y: height - 6, "text-anchor": "end", "class": "hd-axis" }, META.dates[n - 1]));
    }
    return box;
  }
  function miniCurve(curve, value, score) {
    var box = sv("svg", { "class": "hd-curve", viewBox: "0 0 120 36", width: 120, height: 36, role: "img" });
    if (!curve) return box;
    if (curve.kind === "labels") {
      var bw = 116 / curve.points.length;
      curve.points.forEach(function (p, k) {
        var hit = value !== null && String(p[0]) === String(value);
        box.appendChild(sv("rect", { x: 2 + k * bw, y: 34 - 30 * p[1] / 100, width: Math.max(2, bw - 3), height: 30 * p[1] / 100 + 0.5, fill: hit ? "#1565c0" : "#b0bec5" }, sv("title", null, p[0] + ": " + p[1])));
      });
      return box;
    }
    var span = curve.hi - curve.lo || 1;
    var px = function (fx) { return 3 + 114 * fx; };
    var py = function (y) { return 33 - 30 * y / 100; };
    box.appendChild(sv("polyline", { points: curve.line.map(function (p) { return px(p[0]).toFixed(1) + "," + py(p[1]).toFixed(1); }).join(" "), fill: "none", stroke: "#78909c", "stroke-width": 1.4 }));
    if (typeof value === "number" && score !== null && score >= 0) {
      var fx = Math.min(1, Math.max(0, (value - curve.lo) / span));
      box.appendChild(sv("circle", { cx: px(fx), cy: py(score), r: 3.5, fill: "#1565c0", "data-mark": "value" }, sv("title", null, num(value, 3) + " \u2192 " + num(score, 1))));
    }
    return box;
  }
  function metricRows(i, M) {
    var weights = M.wv[M.wc[i]];
    var rows = [], missing = [];
    M.names.forEach(function (name, j) {
      var weight = weights[j], s = M.scores[j][i], raw = M.values[j] ? M.values[j][i] : null;
      if (raw !== null && M.kind[j] !== "numeric") raw = M.labelNames[raw];
      var isImputed = (raw === null || raw === undefined) && s >= 0;
      var outside = raw !== null && raw !== undefined && s < 0;
      if (raw === null || raw === undefined) missing.push(M.labels[j]);
      else if (outside) missing.push(M.labels[j] + " (" + w("out_of_range") + ")");
      rows.push({ j: j, name: name, weight: weight, score: s, raw: raw, imputed: isImputed, outside: outside });
    });
    return { rows: rows, missing: missing };
  }
  function metricTable(i, M) {
    var found = metricRows(i, M);
    var table = el("table", { "class": "hd-table hd-metrics" });
    table.appendChild(el("thead", null, el("tr", null, ["metric", "dimension", "value", "score", "weight", "contribution", "points_lost", "curve"].map(function (k) { return el("th", { scope: "col" }, w(k)); }))));
    var body = el("tbody");
    var dims = {};
    found.rows.forEach(function (r) { (dims[M.dimension[r.j]] = dims[M.dimension[r.j]] || []).push(r); });
    Object.keys(dims).forEach(function (dim) {
      body.appendChild(el("tr", { "class": "hd-dimrow" }, el("th", { colspan: 8, scope: "rowgroup" }, D.dimLabels[dim] || dim)));
      dims[dim].forEach(function (r) {
        var counted = r.weight > 0 && r.score >= 0;
        var contribution = counted ? r.weight * r.score / 10 : null;
        var lost = counted ? r.weight * (100 - r.score / 10) : null;
        var missingRow = r.raw === null || r.raw === undefined;
        var valueText = missingRow ? (r.imputed ? w("imputed") : w("missing")) : (typeof r.raw === "number" ? num(r.raw, Math.abs(r.raw) < 10 && r.raw % 1 ? 3 : r.raw % 1 ? 1 : 0) : r.raw);
        if (r.outside) valueText += " \u00b7 " + w("out_of_range");
        body.appendChild(el("tr", { "data-metric": r.name, "class": missingRow || r.outside ? "hd-missing" : null },
          el("td", { "data-col": "name" }, M.labels[r.j]),
          el("td", { "data-col": "dimension", "class": "hd-muted" }, D.dimLabels[M.dimension[r.j]] || M.dimension[r.j]),
          el("td", { "data-col": "value" }, valueText),
          el("td", { "data-col": "score", "class": "hd-num" }, r.score >= 0 ? num(r.score / 10, 1) : "\u2013"),
          el("td", { "data-col": "weight", "class": "hd-num" }, pct(r.weight, 2)),
          el("td", { "data-col": "contribution", "class": "hd-num" }, contribution === null ? "\u2013" : num(contribution, 2)),
          el("td", { "data-col": "lost", "class": "hd-num" + (lost > 3 ? " hd-neg" : "") }, lost === null ? "\u2013" : num(lost, 2)),
          el("td", { "data-col": "curve" }, miniCurve(M.curves[r.j], r.raw === undefined ? null : r.raw, r.score >= 0 ? r.score / 10 : null))));
      });
    });
    table.appendChild(body);
    return { table: table, missing: found.missing };
  }
  function whatChanged(i, M) {
    var box = el("div", { "class": "hd-box hd-changed", "data-panel": "what-changed" });
    var C = M ? D.changed : null;
    if (!C) {
      box.appendChild(el("h3", null, w("what_changed_title")));
      box.appendChild(el("p", { "class": "hd-note" }, !META.history ? w("no_history_changed") : (!M ? w("no_detail") : w("no_previous_inputs"))));
      return box;
    }
    box.appendChild(el("h3", null, w("what_changed", { date: C.since })));
    var total = C.total[i];
    if (total === null) { box.appendChild(el("p", { "class": "hd-note" }, w("not_in_previous"))); return box; }
    box.appendChild(el("p", { "class": "hd-big" + (total < 0 ? " hd-neg" : total > 0 ? " hd-pos" : "") , "data-field": "change" },
      w("score_moved", { from: scoreText(C.prev[i]), to: scoreText(M.total[i]), change: signed(total / 10, 1) })));
    var moves = C.moves[i], list = el("ul", { "class": "hd-moves" });
    var biggest = 1;
    for (var k = 1; k < moves.length; k += 2) biggest = Math.max(biggest, Math.abs(moves[k]));
    for (var m = 0; m < moves.length && m < 16; m += 2) {
      var j = moves[m], change = moves[m + 1] / 10;
      list.appendChild(el("li", { "data-moved": M.names[j] },
        el("span", { "class": "hd-move-name" }, M.labels[j]),
        el("span", { "class": "hd-move-bar" }, el("span", { "class": change < 0 ? "hd-bar-neg" : "hd-bar-pos", style: "width:" + (100 * Math.abs(moves[m + 1]) / biggest).toFixed(0) + "%" })),
        el("span", { "class": "hd-num " + (change < 0 ? "hd-neg" : "hd-pos") }, signed(change, 1))));
    }
    if (!moves.length) list.appendChild(el("li", null, w("nothing_moved")));
    box.appendChild(list);
    box.appendChild(el("p", { "class": "hd-muted" }, w("changed_note")));
    return box;
  }
  function coverageBox(i, missing) {
    var code = L.cv[i], low = code >= 0 && code < LOW_COVERAGE;
    var box = el("div", { "class": "hd-box hd-coverage" + (low ? " hd-low" : ""), "data-panel": "coverage" });
    box.appendChild(el("h3", null, w("coverage") + " ", coverageMeter(code)));
    box.appendChild(el("p", null, low ? w("coverage_low_text", { coverage: code + "%" }) : w("coverage_text", { coverage: code < 0 ? "\u2013" : code + "%" })));
    if (missing !== null) {
      box.appendChild(el("p", { "data-field": "missing" }, missing.length ? w("missing_metrics", { n: missing.length }) + " " + missing.join(", ") : w("no_missing")));
    }
    return box;
  }
  function csmBox(i) {
    var r = L.cr ? L.cr[i] : null;
    var box = el("div", { "class": "hd-csm-box" + (csmDisagrees(r) ? " hd-disagree-box" : ""), "data-panel": "csm-read" },
      el("div", { "class": "hd-muted" }, cw("csm_read")));
    if (!r) { box.appendChild(el("div", { "data-field": "csm" }, cw("csm_none"))); return box; }
    box.appendChild(el("div", { "data-field": "csm" }, csmCell(i)));
    var note = D.csmNotes ? D.csmNotes[String(i)] : undefined;
    box.appendChild(el("div", { "class": "hd-csm-note", "data-field": "csm-note" }, note ? "\u201c" + note + "\u201d" : cw("no_note")));
    box.appendChild(el("div", { "class": csmDisagrees(r) ? "hd-disagree" : "hd-muted", "data-field": "disagreement-text" }, r[4]));
    return box;
  }
  function renderAccount(id) {
    var root = clear(section("account"));
    var i = indexOf(id);
    if (i < 0) { root.appendChild(el("p", { "class": "hd-note" }, w("unknown_account", { id: id }))); return; }
    if (!D) {
      root.appendChild(el("p", { "class": "hd-note" }, w("loading")));
      detail().then(function () { if (decoded(currentHash().slice("account/".length)) === id) renderAccount(id); });
      return;
    }
    var b = band(i), policy = META.policies[L.pol[i]], M = D.metrics;
    var head = el("div", { "class": "hd-account-head" });
    head.appendChild(el("a", { href: "#list", "class": "hd-back" }, "\u2190 " + w("back")));
    head.appendChild(el("h2", { "data-field": "name" }, L.nm && L.nm[i] ? L.nm[i] : L.id[i]));
    head.appendChild(el("div", { "class": "hd-muted" }, el("span", { "data-field": "id" }, L.id[i]), " \u00b7 ", el("span", { "data-field": "segment" }, L.segs[L.sg[i]] || w("no_segment")),
      L.pa && L.pa[i] >= 0 ? el("span", { "data-field": "parent" }, " \u00b7 " + tw("child_of", { parent: "" }), accountLink(L.pa[i])) : null));
    var facts = el("div", { "class": "hd-account-facts" });
    var scoreBox = el("div", { "class": "hd-score", style: "border-color:" + (b ? b.colour : "#999") },
      el("div", { "class": "hd-score-num", "data-field": "score" }, scoreText(L.sc[i])), el("div", null, w("score")));
    if (L.ov[i]) scoreBox.appendChild(el("div", { "class": "hd-override-note", "data-field": "computed" }, w("overridden", { computed: scoreText(L.cs[i]) })));
    if (L.pa && L.kids[i].length) scoreBox.appendChild(el("div", { "class": "hd-override-note", "data-field": "own-score" }, tw("own_score_note", { score: scoreText(L.os[i]) })));
    facts.appendChild(scoreBox);
    facts.appendChild(csmBox(i));
    facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("band")), bandChip(b, { "data-field": "band" }), b ? el("div", { "class": "hd-muted" }, policy.description[b.name] || "") : null));
    var alertName = L.al[i] >= 0 ? L.alerts[L.al[i]].name : "";
    facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("alert")), el("div", { "data-field": "alert" }, alertLabel(i)), el("div", { "class": "hd-muted" }, policy.response[alertName] || "")));
    facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("due")), el("div", { "data-field": "due" }, L.due[i] >= 0 ? L.dues[L.due[i]] : "\u2013")));
    facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("change_30")), el("div", null, L.c30[i] === null ? "\u2013" : signed(L.c30[i], 1), L.drop[i] ? el("span", { "class": "hd-drop" }, " \u25bc " + w("drop_alert")) : null)));
    facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("arr")), el("div", null, money(L.arr[i]))));
    if (L.dr[i].length) facts.appendChild(el("div", null, el("div", { "class": "hd-muted" }, w("drivers")), el("div", { "data-field": "drivers" }, driverList(i))));
    head.appendChild(facts);
    root.appendChild(head);
    var metrics = M ? metricTable(i, M) : null;
    var grid = el("div", { "class": "hd-grid" });
    grid.appendChild(whatChanged(i, M));
    grid.appendChild(coverageBox(i, metrics ? metrics.missing : null));
    root.appendChild(grid);
    if (L.pa && L.kids[i].length) root.appendChild(childrenBox(i));
    var hist = el("div", { "class": "hd-box" }, el("h3", null, w("score_history")));
    if (META.history && L.spw) { hist.appendChild(historyChart(i, policy)); hist.appendChild(legend()); }
    else hist.appendChild(el("p", { "class": "hd-note" }, w("no_history")));
    root.appendChild(hist);
    var dims = el("div", { "class": "hd-box" }, el("h3", null, w("dimensions")));
    Object.keys(D.dims).forEach(function (d) {
      var v = D.dims[d][i];
      dims.appendChild(el("div", { "class": "hd-dim", "data-dimension": d },
        el("span", { "class": "hd-dim-name" }, D.dimLabels[d] || d),
        el("span", { "class": "hd-dim-bar" }, el("span", { style: "width:" + Math.max(0, v / 10) + "%;background:" + dimColour(v) })),
        el("span", { "class": "hd-num" }, scoreText(v))));
    });
    root.appendChild(dims);
    var mbox = el("div", { "class": "hd-box" }, el("h3", null, w("metrics")));
    if (metrics) mbox.appendChild(el("div", { "class": "hd-scroll" }, metrics.table));
    else mbox.appendChild(el("p", { "class": "hd-note", "data-field": "no-detail" }, w("no_detail")));
    root.appendChild(mbox);
    var mine = (D.overrides || []).filter(function (o) { return o.i === i; });
    var obox = el("div", { "class": "hd-box", "data-panel": "overrides" }, el("h3", null, w("overrides")));
    if (!mine.length) obox.appendChild(el("p", { "class": "hd-muted" }, w("no_overrides")));
    else {
      var t = el("table", { "class": "hd-table" }, el("thead", null, el("tr", null, ["override_value", "reason", "author", "starts", "expires", "state"].map(function (k) { return el("th", null, w(k)); }))));
      var tb = el("tbody");
      mine.forEach(function (o) {
        var value = [o.score === null ? null : num(o.score, 1), o.band === null ? null : o.band].filter(function (x) { return x !== null; }).join(" / ");
        tb.appendChild(el("tr", { "data-override": o.id }, el("td", null, value), el("td", { "data-col": "reason" }, o.reason), el("td", { "data-col": "author" }, o.author),
          el("td", null, o.starts), el("td", null, o.expires), el("td", null, o.revoked ? w("revoked") + " " + o.revoked : (o.active ? w("active") : w("inactive")))));
      });
      t.appendChild(tb);
      obox.appendChild(t);
    }
    root.appendChild(obox);
    var pbox = el("div", { "class": "hd-box", "data-panel": "playbook" }, el("h3", null, w("playbook") + (b ? " \u00b7 " + b.label : "")));
    var steps = b ? policy.playbook[b.name] || [] : [];
    if (steps.length) pbox.appendChild(el("ol", null, steps.map(function (s) { return el("li", null, s); })));
    else pbox.appendChild(el("p", { "class": "hd-muted" }, w("no_playbook")));
    root.appendChild(pbox);
    window.scrollTo(0, 0);
  }
  var kidSort = { col: "score", dir: 1 };
  function childrenBox(i) {  // a parent's children: score, band and ARR, sortable, each a link to its page
    var box = el("div", { "class": "hd-box", "data-panel": "children" }, el("h3", null, tw("children") + " (" + num(L.kids[i].length) + ")"));
    var keys = {
      account: function (k) { return L.id[k]; },
      score: function (k) { return L.sc[k] < 0 ? null : L.sc[k]; },
      band: function (k) { return L.bd[k] < 0 ? null : L.bd[k]; },
      arr: function (k) { return L.arr[k]; }
    };
    var table = el("table", { "class": "hd-table hd-children" });
    var head = el("tr");
    var body = el("tbody");
    function fill() {
      var key = keys[kidSort.col], dir = kidSort.dir;
      var rows = L.kids[i].slice().sort(function (a, b) {
        var ka = key(a), kb = key(b);
        if (ka === null || ka === undefined) return kb === null || kb === undefined ? a - b : 1;
        if (kb === null || kb === undefined) return -1;
        return ka < kb ? -dir : ka > kb ? dir : a - b;
      });
      clear(body);
      rows.forEach(function (k) {
        var who = el("td", { "data-col": "account" }, accountLink(k));
        if (L.nm && L.nm[k]) who.appendChild(el("div", { "class": "hd-name" }, L.nm[k]));
        if (L.kids[k].length) who.appendChild(el("span", { "class": "hd-tag", "data-field": "children" }, childrenText(k)));
        body.appendChild(el("tr", { "data-account": L.id[k] }, who,
          el("td", { "data-col": "score", "class": "hd-num" }, scoreText(L.sc[k])),
          el("td", { "data-col": "band" }, bandChip(band(k))),
          el("td", { "data-col": "arr", "class": "hd-num" }, money(L.arr[k]))));
      });
      head.querySelectorAll("th").forEach(function (th) {
        var on = th.getAttribute("data-sort") === kidSort.col;
        th.setAttribute("aria-sort", on ? (kidSort.dir > 0 ? "ascending" : "descending") : "none");
      });
    }
    [["account", w("account")], ["score", w("score")], ["band", w("band")], ["arr", w("arr")]].forEach(function (c) {
      var th = el("th", { "data-sort": c[0], scope: "col", "class": "hd-sortable" }, c[1]);
      th.addEventListener("click", function () {
        if (kidSort.col === c[0]) kidSort.dir = -kidSort.dir; else { kidSort.col = c[0]; kidSort.dir = c[0] === "arr" ? -1 : 1; }
        fill();
      });
      head.appendChild(th);
    });
    table.appendChild(el("thead", null, head));
    table.appendChild(body);
    fill();
    box.appendChild(el("div", { "class": "hd-scroll" }, table));
    return box;
  }
  function dimColour(v) {
    if (v < 0) return "#ccc";
    var s = v / 10, pick = META.bands[META.bands.length - 1];
    for (var k = 0; k < META.bands.length; k++) { if (META.bands[k].min !== null && s >= META.bands[k].min) { pick = META.bands[k]; break; } }
    return pick ? pick.colour : "#888";
  }
  function legend() {
    return el("div", { "class": "hd-legend" }, META.bands.map(function (b) {
      return el("span", null, el("span", { "class": "hd-swatch", style: "background:" + b.colour }), b.label);
    }));
  }

  // -- the action queue ---------------------------------------------------------------
  function renderQueue() {
    var root = clear(section("queue"));
    root.appendChild(el("h2", null, w("queue")));
    root.appendChild(el("p", { "class": "hd-muted" }, w("queue_intro", { n: num(L.q.length) })));
    if (!L.q.length) { root.appendChild(el("p", { "class": "hd-note" }, w("queue_empty"))); return; }
    var pages = Math.ceil(L.q.length / PAGE);
    state.qpage = Math.max(0, Math.min(state.qpage, pages - 1));
    var table = el("table", { "class": "hd-table", id: "hs-queue" });
    var heads = ["rank", "account", "score", "arr_at_stake", "alert", "due", "reason", "drivers", "playbook"].map(function (k) { return el("th", { scope: "col" }, w(k)); });
    heads.push(el("th", { scope: "col" }, cw("csm_read")), el("th", { scope: "col" }, cw("disagreement")));
    table.appendChild(el("thead", null, el("tr", null, heads)));
    var body = el("tbody");
    L.q.slice(state.qpage * PAGE, (state.qpage + 1) * PAGE).forEach(function (entry, k) {
      var i = entry[0], b = band(i), policy = META.policies[L.pol[i]];
      var alert = L.al[i] >= 0 ? L.alerts[L.al[i]] : null;
      var reason = [w("reason_level", { alert: alert ? alert.label : "\u2013", score: scoreText(L.sc[i]) })];
      if (entry[2]) reason.push(w(entry[4] !== undefined && L.since[entry[4]] ? "reason_drop_since" : "reason_drop", { points: num(entry[3]), since: entry[4] !== undefined ? L.since[entry[4]] : "" }));
      var q = state.qpage * PAGE + k;
      if (L.qk && L.qk[q].length) reason.push(tw("worst_children", { children: L.qk[q].join(", ") }));
      var who = el("td", { "data-col": "account" }, accountLink(i));
      if (L.nm && L.nm[i]) who.appendChild(el("div", { "class": "hd-name" }, L.nm[i]));
      if (L.pa) who.appendChild(treeCell(i));
      body.appendChild(el("tr", { "data-account": L.id[i] },
        el("td", { "class": "hd-num" }, num(state.qpage * PAGE + k + 1)),
        who,
        el("td", { "data-col": "score", "class": "hd-num" }, el("span", { "class": "hd-dot", style: "background:" + (b ? b.colour : "#999") }), scoreText(L.sc[i])),
        el("td", { "data-col": "arr", "class": "hd-num" }, money(L.qa[q])),
        el("td", { "data-col": "alert" }, alert ? alert.label : "\u2013", entry[2] ? el("span", { "class": "hd-drop", "data-field": "drop" }, " \u25bc " + w("drop_alert")) : null),
        el("td", { "data-col": "due" }, L.dues[entry[1]], alert ? el("div", { "class": "hd-muted" }, policy.response[alert.name] || "") : null),
        el("td", { "data-col": "reason" }, reason.join("; ")),
        el("td", { "data-col": "drivers", "class": "hd-drivers" }, driverList(i)),
        el("td", { "data-col": "playbook" }, el("ol", { "class": "hd-steps" }, (b ? policy.playbook[b.name] || [] : []).map(function (s) { return el("li", null, s); }))),
        el("td", { "data-col": "csm" }, csmCell(i)),
        el("td", { "data-col": "disagreement", "class": csmDisagrees(L.cr ? L.cr[i] : null) ? "hd-disagree" : null }, L.cr && L.cr[i] ? L.cr[i][4] : "")));
    });
    table.appendChild(body);
    root.appendChild(el("div", { "class": "hd-scroll" }, table));
    root.appendChild(pager("queue", state.qpage, pages, L.q.length, function (p) { state.qpage = p; renderQueue(); }));
  }

  // -- portfolio trends ---------------------------------------------------------------
  function stacked(title, pick, format) {
    var mix = META.mix, width = 720, height = 240, left = 60, right = 10, top = 10, bottom = 28;
    var box = sv("svg", { "class": "hd-stack", viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": title });
    var totals = mix.map(function (m) { return META.bands.reduce(function (s, b) { return s + (m.bands[b.name] ? pick(m.bands[b.name]) : 0); }, 0); });
    var most = Math.max.apply(null, totals.concat([1]));
    var slot = (width - left - right) / mix.length, barW = Math.max(2, slot * 0.75);
    [0, 0.5, 1].forEach(function (f) {
      var yy = top + (height - top - bottom) * (1 - f);
      box.appendChild(sv("line", { x1: left, x2: width - right, y1: yy, y2: yy, stroke: "#e0e0e0" }));
      box.appendChild(sv("text", { x: left - 4, y: yy + 4, "text-anchor": "end", "class": "hd-axis" }, format(most * f)));
    });
    mix.forEach(function (m, k) {
      var base = height - bottom;
      META.bands.slice().reverse().forEach(function (b) {
        var v = m.bands[b.name] ? pick(m.bands[b.name]) : 0;
        var h = (height - top - bottom) * v / most;
        box.appendChild(sv("rect", { x: left + k * slot + (slot - barW) / 2, y: base - h, width: barW, height: h, fill: b.colour },
          sv("title", null, META.dates[k] + " \u00b7 " + b.label + ": " + format(v))));
        base -= h;
      });
    });
    if (mix.length) {
      box.appendChild(sv("text", { x: left, y: height - 8, "class": "hd-axis" }, META.dates[0]));
      box.appendChild(sv("text", { x: width - right, y: height - 8, "text-anchor": "end", "class": "hd-axis" }, META.dates[mix.length - 1]));
    }
    return el("div", { "class": "hd-box" }, el("h3", null, title), box, legend());
  }
  function renderTrends() {
    var root = clear(section("trends"));
    root.appendChild(el("h2", null, w("trends")));
    if (!META.history || META.mix.length < 1) { root.appendChild(el("p", { "class": "hd-note" }, w("no_history_trends"))); return; }
    if (META.mix.length < 2) root.appendChild(el("p", { "class": "hd-note" }, w("one_snapshot")));
    root.appendChild(stacked(w("mix_accounts"), function (x) { return x[0]; }, function (v) { return num(v); }));
    root.appendChild(stacked(w("mix_arr"), function (x) { return x[1]; }, compact));
  }

  // -- navigation ---------------------------------------------------------------------
  function decoded(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }  // a hand-typed, malformed address
  }
  function currentHash() { return location.hash.replace(/^#/, "") || "list"; }
  function route() {
    var hash = currentHash(), name = hash.split("/")[0];
    var known = ["list", "account", "queue", "trends", "backtest", "model"];
    if (known.indexOf(name) < 0 || !section(name)) name = "list";
    document.querySelectorAll("section[data-view]").forEach(function (s) { s.hidden = s.getAttribute("data-view") !== name; });
    document.querySelectorAll("nav a[data-nav]").forEach(function (a) { a.classList.toggle("hd-active", a.getAttribute("data-nav") === (name === "account" ? "list" : name)); });
    if (name === "account") renderAccount(decoded(hash.slice("account/".length)));
    if (name === "queue") renderQueue();
    if (name === "trends") renderTrends();
  }

  function start(list) {
    L = list;
    renderHeader();
    renderFilters();
    renderListHead();
    refreshList();
    route();
    var firstRender = performance.now();
    window.addEventListener("hashchange", route);
    window.hsTimings = { firstRender: firstRender, interactive: performance.now() };
    window.hsReady = true;
    document.documentElement.setAttribute("data-ready", "true");
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 200); };
    idle(function () { detail(); }, { timeout: 3000 });
  }
  unpack("hs-data-list").then(start).catch(function (err) {
    var box = document.getElementById("hs-header");
    box.appendChild(el("p", { "class": "hd-note" }, w("load_failed") + " " + String(err)));
  });
})();
