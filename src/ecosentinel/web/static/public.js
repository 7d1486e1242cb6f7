/* Public home: render each public data feed (/api/public/...) as a simple table, or an empty-state line. */
(function () {
  "use strict";
  function rowsOf(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.results)) return data.results;
    if (data && Array.isArray(data.items)) return data.items;
    return [];
  }
  function cell(v) {
    if (v == null) return "—";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  document.querySelectorAll(".public-feed").forEach(function (section) {
    const body = section.querySelector(".feed-body");
    fetch(section.dataset.feed, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (data) {
        const rows = rowsOf(data).slice(0, 50);
        if (!rows.length) { body.textContent = "暂无公开记录"; return; }
        const keys = Object.keys(rows[0]).slice(0, 8);
        const table = document.createElement("table");
        table.className = "table";
        const head = table.insertRow();
        keys.forEach(function (k) { const th = document.createElement("th"); th.textContent = k; head.appendChild(th); });
        rows.forEach(function (row) {
          const tr = table.insertRow();
          keys.forEach(function (k) { tr.insertCell().textContent = cell(row[k]); });
        });
        body.textContent = "";
        body.classList.remove("muted");
        body.appendChild(table);
      })
      .catch(function () { body.textContent = "暂无公开记录"; });
  });
})();
