/* EcoSentinel shared browser helpers: JSON fetch, flash messages, background-job progress widget. */
(function () {
  "use strict";

  async function fetchJSON(url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    if (opts.body && typeof opts.body !== "string" && !(opts.body instanceof FormData)) {
      opts.body = JSON.stringify(opts.body);
      opts.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, opts);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      if (response.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
      }
      const detail = data && data.detail;
      const text = typeof detail === "string" ? detail : (Array.isArray(detail) && detail[0] && detail[0].msg) || ("请求失败（" + response.status + "）");
      const err = new Error(text);
      err.status = response.status;
      err.data = data;
      throw err;
    }
    return data;
  }

  function flash(text, level) {
    const area = document.getElementById("flash");
    if (!area) return;
    const div = document.createElement("div");
    div.className = "flash flash-" + (level || "info");
    div.textContent = text;
    area.appendChild(div);
  }

  /* Render a progress bar into `container` and poll /api/jobs/{id} until the job ends.
     Resolves with the final job JSON ({id, state, progress, message, result}). */
  function trackJob(jobId, container, intervalMs) {
    const box = document.createElement("div");
    box.className = "progress";
    box.dataset.jobId = jobId;
    box.innerHTML = '<div class="progress-bar"><div></div></div><div class="progress-text">排队中…</div>';
    container.appendChild(box);
    const bar = box.querySelector(".progress-bar > div");
    const label = box.querySelector(".progress-text");
    return new Promise(function (resolve, reject) {
      function poll() {
        fetchJSON("/api/jobs/" + encodeURIComponent(jobId)).then(function (job) {
          bar.style.width = job.progress + "%";
          label.textContent = job.progress + "% " + (job.message || "");
          if (job.state === "done") { box.classList.add("done"); resolve(job); }
          else if (job.state === "failed") { box.classList.add("failed"); reject(new Error(job.message)); }
          else { setTimeout(poll, intervalMs || 700); }
        }, function (err) { label.textContent = err.message; reject(err); });
      }
      poll();
    });
  }

  /* POST to an endpoint that starts a job (answers {"job_id": "..."}), then show its progress. */
  function startJob(url, body, container) {
    return fetchJSON(url, { method: "POST", body: body || {} }).then(function (data) {
      return trackJob(data.job_id, container);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-job-id]").forEach(function (el) {
      if (!el.classList.contains("progress")) trackJob(el.dataset.jobId, el).catch(function () {});
    });
  });

  window.EcoSentinel = { fetchJSON: fetchJSON, flash: flash, trackJob: trackJob, startJob: startJob };
})();
