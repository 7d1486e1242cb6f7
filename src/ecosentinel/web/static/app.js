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
      let text = typeof detail === "string" ? detail : (Array.isArray(detail) && detail[0] && detail[0].msg) || ("请求失败（" + response.status + "）");
      const where = data && data.location;
      if (where && text.indexOf(where + ": ") === 0) text = text.slice(where.length + 2);  /* the field is shown, not its code */
      const err = new Error(text);
      err.status = response.status;
      err.data = data;
      err.field = where || null;
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

  /* Form errors: while a POST form is sent its typed values are kept in sessionStorage; when the answer is a
     page whose error message names that form (data-form) and a field (data-field), the values come back and
     the message is shown beside the field. */
  const KEEP = "es-form:";

  function keepValues(form) {
    const values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "password" || el.type === "file" || el.type === "hidden") return;
      if (el.type === "submit" || el.type === "button") return;
      if ((el.type === "checkbox" || el.type === "radio")) { values.push([el.name, el.value, el.checked]); return; }
      values.push([el.name, el.value, null]);
    });
    try { sessionStorage.setItem(KEEP + form.getAttribute("action"), JSON.stringify(values)); } catch (e) { /* full */ }
  }

  function restoreValues(form) {
    let values = null;
    try { values = JSON.parse(sessionStorage.getItem(KEEP + form.getAttribute("action")) || "null"); } catch (e) { values = null; }
    if (!Array.isArray(values)) return;
    const used = {};
    values.forEach(function (v) {
      const name = v[0];
      const all = Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
      if (v[2] !== null) {
        all.forEach(function (el) { if (el.value === v[1]) el.checked = v[2]; });
        return;
      }
      const i = used[name] || 0;
      used[name] = i + 1;
      if (all[i]) all[i].value = v[1];
    });
  }

  function fieldOf(form, location) {
    if (!location) return null;
    const names = [location, location.replace(/^.*\./, ""), location.replace(/\[\d+\]/g, ""),
      location.replace(/\[(\d+)\]\.(\w+)$/, "$2_$1"), location.replace(/^(\w+)\[(\d+)\]\.(\w+)$/, "$1-$2-$3")];
    for (const name of names) {
      const el = form.querySelector('[name="' + name.replace(/"/g, "") + '"]');
      if (el) return el;
    }
    return null;
  }

  function showFormErrors() {
    document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) {
      form.addEventListener("submit", function () { keepValues(form); });
    });
    document.querySelectorAll(".flash[data-form]").forEach(function (note) {
      const form = document.querySelector('form[action="' + note.dataset.form.replace(/"/g, "") + '"]');
      if (!form) return;
      restoreValues(form);
      const field = fieldOf(form, note.dataset.field);
      const target = field || form;
      const msg = document.createElement("div");
      msg.className = "field-error";
      msg.setAttribute("role", "alert");
      msg.textContent = note.textContent;
      if (field) {
        field.classList.add("invalid");
        field.setAttribute("aria-invalid", "true");
        const label = field.closest("label") || field;
        label.insertAdjacentElement("afterend", msg);
        field.focus();
      } else {
        target.insertAdjacentElement("afterbegin", msg);
      }
      if (form.scrollIntoView) form.scrollIntoView({ block: "center" });
    });
    document.querySelectorAll(".flash.flash-ok").forEach(function () {
      Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(KEEP) === 0) sessionStorage.removeItem(k); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showFormErrors();
    document.querySelectorAll("[data-job-id]").forEach(function (el) {
      if (!el.classList.contains("progress")) trackJob(el.dataset.jobId, el).catch(function () {});
    });
  });

  window.EcoSentinel = { fetchJSON: fetchJSON, flash: flash, trackJob: trackJob, startJob: startJob };
})();
