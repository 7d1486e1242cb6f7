/* Sortable, filterable, paged tables without a library: every list table (table.table with one plain header
   row, not .detail) gets clickable column headers (numbers sort as numbers, text in Chinese order), a filter
   box when it has 6 rows or more, and pages of 50 rows when longer. Opt out with data-plain. */
(function () {
  "use strict";
  const collator = new Intl.Collator("zh-CN", { numeric: true });

  function cellValue(row, i) {
    const cell = row.cells[i];
    if (!cell) return "";
    return (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent).trim();
  }

  function asNumber(text) {
    if (text === "" || text === "—") return null;
    const n = Number(text.replace(/[,，%]/g, ""));
    return Number.isFinite(n) ? n : null;
  }

  function enhance(table, options) {
    if (table.dataset.enhanced) return;
    const opts = Object.assign({ pageSize: Number(table.dataset.pageSize) || 50 }, options || {});
    const rows = Array.prototype.slice.call(table.rows);
    if (rows.length < 3) return;
    const head = rows[0];
    const heads = Array.prototype.slice.call(head.cells);
    if (!heads.every(function (c) { return c.tagName === "TH" && c.colSpan === 1 && c.rowSpan === 1; })) return;
    const body = rows.slice(1);
    if (!body.every(function (r) { return r.cells.length === heads.length; })) return;
    table.dataset.enhanced = "1";
    let shown = body.slice();
    let page = 0;
    const pager = document.createElement("div");
    pager.className = "pager table-pager";

    function render() {
      const pages = Math.max(1, Math.ceil(shown.length / opts.pageSize));
      page = Math.min(page, pages - 1);
      body.forEach(function (r) { r.hidden = true; });
      shown.slice(page * opts.pageSize, (page + 1) * opts.pageSize).forEach(function (r) { r.hidden = false; });
      pager.hidden = pages <= 1;
      pager.innerHTML = "";
      const prev = document.createElement("button");
      prev.type = "button"; prev.className = "button small"; prev.textContent = "上一页"; prev.disabled = page === 0;
      prev.addEventListener("click", function () { page -= 1; render(); });
      const next = document.createElement("button");
      next.type = "button"; next.className = "button small"; next.textContent = "下一页"; next.disabled = page >= pages - 1;
      next.addEventListener("click", function () { page += 1; render(); });
      const label = document.createElement("span");
      label.className = "muted"; label.dataset.testid = "page-label";
      label.textContent = "第 " + (page + 1) + "/" + pages + " 页，共 " + shown.length + " 行";
      pager.append(prev, " ", label, " ", next);
    }

    heads.forEach(function (th, i) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.setAttribute("role", "button");
      th.title = "点击排序";
      function sort() {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const numeric = body.every(function (r) { const v = cellValue(r, i); return v === "" || v === "—" || asNumber(v) !== null; });
        body.sort(function (a, b) {
          const x = cellValue(a, i), y = cellValue(b, i);
          let d;
          if (numeric) d = (asNumber(x) ?? -Infinity) - (asNumber(y) ?? -Infinity);
          else d = collator.compare(x, y);
          return ascending ? d : -d;
        });
        const parent = body[0].parentNode;
        body.forEach(function (r) { parent.appendChild(r); });
        shown = body.filter(function (r) { return !r.dataset.filteredOut; });
        page = 0;
        render();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });

    if (body.length >= 6) {
      const box = document.createElement("input");
      box.type = "search";
      box.className = "table-filter";
      box.placeholder = "筛选本表…";
      box.setAttribute("aria-label", "筛选本表");
      box.addEventListener("input", function () {
        const q = box.value.trim().toLowerCase();
        body.forEach(function (r) {
          if (!q || r.textContent.toLowerCase().indexOf(q) >= 0) delete r.dataset.filteredOut;
          else r.dataset.filteredOut = "1";
        });
        shown = body.filter(function (r) { return !r.dataset.filteredOut; });
        page = 0;
        render();
      });
      table.parentNode.insertBefore(box, table);
    }
    table.parentNode.insertBefore(pager, table.nextSibling);
    render();
  }

  function enhanceAll() {
    document.querySelectorAll("table.table:not(.detail):not([data-plain])").forEach(function (t) { enhance(t); });
  }

  document.addEventListener("DOMContentLoaded", enhanceAll);
  window.EcoSentinelTables = { enhance: enhance };
})();
