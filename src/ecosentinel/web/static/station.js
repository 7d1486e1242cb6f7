/* Station page: one uPlot chart per factor on a shared, synchronised time axis (China Standard Time).
   Findings are shaded windows (numbered like the list below), door/camera events dashed lines,
   values with a non-normal HJ 212 flag are marked under the curve and named in the legend. */
(function () {
  "use strict";
  const root = document.getElementById("charts");
  if (!root) return;
  const mn = root.dataset.mn;
  const statusEl = document.getElementById("chart-status");
  const form = document.getElementById("window-form");
  const TZ = "Asia/Shanghai";
  const tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), TZ); };
  const fmt = uPlot.fmtDate("{YYYY}-{MM}-{DD} {HH}:{mm}");
  const charts = [];
  root.charts = charts; // for the browser tests (overlay pixels)

  function fmtTime(ts) { return fmt(tzDate(ts)); }

  function overlayPlugin(factor, data) {
    const mine = (data.findings || []).map(function (f, i) { return Object.assign({ n: i + 1 }, f); })
      .filter(function (f) { return f.factors.length === 0 || f.factors.indexOf(factor.code) >= 0; });
    return {
      hooks: {
        drawClear: [function (u) {
          const ctx = u.ctx;
          ctx.save();
          mine.forEach(function (f) {
            const x0 = Math.max(u.bbox.left, u.valToPos(f.start, "x", true));
            const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(f.end, "x", true));
            if (x1 <= x0) return;
            ctx.fillStyle = f.severity === "high" ? "rgba(224,49,49,0.20)" : "rgba(245,159,0,0.20)";
            ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 2), u.bbox.height);
            ctx.fillStyle = "#c92a2a";
            ctx.font = (12 * devicePixelRatio) + "px sans-serif";
            ctx.fillText("#" + f.n, x0 + 3 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
          });
          ctx.restore();
        }],
        draw: [function (u) {
          const ctx = u.ctx;
          ctx.save();
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.strokeStyle = "#5f3dc4";
          (data.events || []).forEach(function (e) {
            const x = u.valToPos(e.time, "x", true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          });
          ctx.setLineDash([]);
          ctx.fillStyle = "#e8590c";
          const xs = u.data[0];
          factor.flags.forEach(function (flag, i) {
            if (flag === "N" || flag == null) return;
            const x = u.valToPos(xs[i], "x", true);
            ctx.fillRect(x - 1.5 * devicePixelRatio, u.bbox.top + u.bbox.height - 6 * devicePixelRatio, 3 * devicePixelRatio, 6 * devicePixelRatio);
          });
          ctx.restore();
        }],
      },
    };
  }

  function limitSeries(factor) {
    const out = [];
    if (factor.limit_high != null) out.push({ label: "排放限值", value: factor.limit_high });
    if (factor.limit_low != null) out.push({ label: "下限", value: factor.limit_low });
    return out;
  }

  function drawFactor(factor, data) {
    const box = document.createElement("div");
    box.className = "chart-box";
    box.dataset.factor = factor.code;
    const h = document.createElement("h3");
    h.textContent = factor.name + (factor.unit ? "（" + factor.unit + "）" : "") + " [" + factor.code + "]";
    box.appendChild(h);
    root.appendChild(box);
    if (factor.times.length === 0) {
      const p = document.createElement("div");
      p.className = "empty";
      p.textContent = "所选时段无数据";
      box.appendChild(p);
      return;
    }
    const limits = limitSeries(factor);
    const seriesData = [factor.times, factor.values].concat(limits.map(function (l) {
      return factor.times.map(function () { return l.value; });
    }));
    const flagNames = data.flag_names || {};
    const opts = {
      width: Math.max(root.clientWidth - 20, 300),
      height: 220,
      tzDate: tzDate,
      cursor: { sync: { key: "station-" + mn } },
      scales: { x: { time: true } },
      axes: [
        {
          values: function (u, splits) {
            const long = (u.scales.x.max - u.scales.x.min) > 86400;
            const f = uPlot.fmtDate(long ? "{MM}-{DD} {HH}:{mm}" : "{HH}:{mm}");
            return splits.map(function (v) { return f(tzDate(v)); });
          },
        },
        {},
      ],
      series: [
        { label: "时间", value: function (u, v) { return v == null ? "—" : fmtTime(v); } },
        {
          label: factor.name, stroke: "#1c7ed6", width: 1.5, spanGaps: false,
          value: function (u, v, si, idx) {
            if (v == null) return "—";
            const flag = idx != null ? factor.flags[idx] : "N";
            return v + (flag && flag !== "N" ? " [" + flag + " " + (flagNames[flag] || "") + "]" : "");
          },
        },
      ].concat(limits.map(function (l) { return { label: l.label, stroke: "#e03131", dash: [6, 4], width: 1, points: { show: false } }; })),
      plugins: [overlayPlugin(factor, data)],
    };
    charts.push(new uPlot(opts, seriesData, box));
  }

  function renderLists(data) {
    const list = document.getElementById("finding-list");
    if (list) {
      list.innerHTML = "";
      (data.findings || []).forEach(function (f, i) {
        const li = document.createElement("li");
        li.dataset.rule = f.rule;
        const b = document.createElement("strong");
        b.textContent = "#" + (i + 1) + " " + f.title + "（严重程度：" + f.severity_zh + "）";
        const p = document.createElement("div");
        p.textContent = f.explanation;
        const t = document.createElement("div");
        t.className = "muted";
        t.textContent = fmtTime(f.start) + " 至 " + fmtTime(f.end) + " · 规则编号 " + f.rule.split("_")[0];
        li.appendChild(b); li.appendChild(p); li.appendChild(t);
        list.appendChild(li);
      });
      document.getElementById("finding-empty").hidden = (data.findings || []).length > 0;
    }
    const table = document.getElementById("event-table");
    while (table.rows.length > 1) table.deleteRow(1);
    (data.events || []).forEach(function (e) {
      const row = table.insertRow();
      [fmtTime(e.time), e.type_zh, e.device || "—", e.detail || ""].forEach(function (text) {
        row.insertCell().textContent = text;
      });
    });
    document.getElementById("event-empty").hidden = (data.events || []).length > 0;
  }

  function load() {
    const params = new URLSearchParams(new FormData(form));
    for (const [k, v] of Array.from(params.entries())) { if (!v) params.delete(k); }
    statusEl.textContent = "正在加载曲线…";
    EcoSentinel.fetchJSON("/api/data/points/" + encodeURIComponent(mn) + "/series?" + params.toString())
      .then(function (data) {
        charts.forEach(function (c) { c.destroy(); });
        charts.length = 0;
        root.innerHTML = "";
        /* the decisive curves first: factors named by a finding in the window, then the others */
        const named = {};
        (data.findings || []).forEach(function (f) { (f.factors || []).forEach(function (c) { named[c] = true; }); });
        const ordered = data.factors.filter(function (f) { return named[f.code]; })
          .concat(data.factors.filter(function (f) { return !named[f.code]; }));
        root.dataset.order = ordered.map(function (f) { return f.code; }).join(",");
        ordered.forEach(function (f) { drawFactor(f, data); });
        renderLists(data);
        const kinds = { minute: "分钟数据", hour: "小时数据", rtd: "实时数据", day: "日数据" };
        document.getElementById("window-text").textContent =
          "当前显示：" + fmtTime(Date.parse(data.start) / 1e3) + " 至 " + fmtTime(Date.parse(data.end) / 1e3) + "（" + (kinds[data.kind] || data.kind) + "）";
        statusEl.textContent = data.factors.length ? "" : "该点位未登记监测因子，也没有数据";
        root.dataset.loaded = "1";
      }, function (err) {
        statusEl.textContent = "加载失败：" + err.message;
        EcoSentinel.flash(err.message, "error");
      });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const params = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "?" + params.toString());
    load();
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.setSize({ width: Math.max(root.clientWidth - 20, 300), height: 220 }); });
  });
  load();
})();
