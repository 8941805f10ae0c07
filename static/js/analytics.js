// The traffic pages follow the organization's live stream (window.KontoraLive, static/js/live.js):
// - the dashboard ([data-analytics-dashboard]) fetches its sections afresh when an import finishes or the
//   daily rollup it reads is refreshed, and swaps them in;
// - an import job's page ([data-analytics-job]) shows the rows read as they come ("analytics.import_progress")
//   and its result when it finishes ("analytics.import_finished"). While the live connection is down it asks
//   the job's status URL every few seconds instead, so the page never waits on a dead socket.
// No dependencies, no build step; without it the pages show what they had when loaded.
(function () {
  "use strict";

  const DELAY = 400; // an import's "finished" and its rollup's "refreshed" come together: one fetch for both
  const POLL_OFFLINE = 3000;
  const POLL_ONLINE = 15000; // a safety net: an event missed while the page was connecting

  function withLive(callback) {
    if (window.KontoraLive) return callback(window.KontoraLive);
    const script = Array.from(document.scripts).find((s) => s.src && s.src.indexOf("/js/live.js") !== -1);
    if (!script) return callback(null);
    script.addEventListener("load", () => callback(window.KontoraLive || null));
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((response) =>
      response.ok ? response.json() : null
    );
  }

  function isOnline() {
    const status = document.querySelector("[data-live-status]");
    return Boolean(status && status.dataset.state === "online");
  }

  function onOnline(callback) {
    const status = document.querySelector("[data-live-status]");
    if (!status || !window.MutationObserver) return;
    new MutationObserver(() => {
      if (status.dataset.state === "online") callback();
    }).observe(status, { attributes: true, attributeFilter: ["data-state"] });
  }

  // --- the dashboard ---------------------------------------------------------------------------------------

  function followDashboard(root, live) {
    const stream = "org:" + root.dataset.organization;
    const url = root.dataset.liveUrl;
    const updated = root.querySelector("[data-analytics-updated]");
    if (!url || !live) return;
    let timer = null;
    let running = false;
    let again = false;

    function refresh() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      getJson(url)
        .then((data) => {
          if (!data || !data.sections) return;
          Object.entries(data.sections).forEach(([name, html]) => {
            const section = root.querySelector('[data-analytics-section="' + name + '"]');
            if (section && section.innerHTML.trim() !== html.trim()) section.innerHTML = html;
          });
          if (updated && root.dataset.textUpdated) {
            const time = new Date(data.at).toLocaleTimeString(document.documentElement.lang || undefined);
            updated.textContent = root.dataset.textUpdated.replace("{time}", time);
          }
          root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
        })
        .catch(() => {})
        .finally(() => {
          running = false;
          if (again) {
            again = false;
            schedule();
          }
        });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY);
    }

    live.subscribe((event) => {
      if (event.stream !== stream) return;
      if (event.type === "analytics.import_finished" || event.type === "analytics.rollup_refreshed") schedule();
    });
    live.onGap((gap) => {
      if (gap.stream === stream) schedule();
    });
  }

  // --- an import job ---------------------------------------------------------------------------------------

  function followJob(root, live) {
    const stream = "org:" + root.dataset.organization;
    const job = Number(root.dataset.job);
    const result = root.querySelector("[data-analytics-job-result]");
    let finished = root.dataset.finished === "1";
    let asking = false;
    let lastAsked = 0;

    function show(data) {
      if (!data) return;
      root.dataset.status = data.status;
      if (result && typeof data.section === "string" && result.innerHTML.trim() !== data.section.trim()) {
        result.innerHTML = data.section;
      }
      if (data.finished) {
        finished = true;
        root.dataset.finished = "1";
      }
    }

    function ask() {
      if (asking) return;
      asking = true;
      lastAsked = Date.now();
      getJson(root.dataset.statusUrl)
        .then(show)
        .catch(() => {})
        .finally(() => {
          asking = false;
        });
    }

    function progress(rows) {
      const target = root.querySelector("[data-job-progress]");
      if (!target || !root.dataset.textRows) return;
      const number = Number(rows).toLocaleString(document.documentElement.lang || undefined);
      target.textContent = root.dataset.textRows.replace("{rows}", number);
      const status = root.querySelector("[data-job-status]");
      if (status && status.dataset.jobStatus === "queued") ask(); // it started: show "running" and its times
    }

    if (live) {
      live.subscribe((event) => {
        if (event.stream !== stream || !event.data || Number(event.data.job) !== job) return;
        if (event.type === "analytics.import_progress") progress(event.data.rows_read);
        if (event.type === "analytics.import_finished") ask();
      });
      live.onGap((gap) => {
        if (gap.stream === stream) ask();
      });
      onOnline(() => {
        if (!finished) ask(); // it may have moved while the page was connecting
      });
    }
    // The polling fallback: often while the live connection is down, rarely while it is up.
    setInterval(() => {
      if (finished || document.hidden) return;
      const every = live && isOnline() ? POLL_ONLINE : POLL_OFFLINE;
      if (Date.now() - lastAsked >= every) ask();
    }, 1000);
  }

  withLive((live) => {
    document.querySelectorAll("[data-analytics-dashboard]").forEach((root) => followDashboard(root, live));
    document.querySelectorAll("[data-analytics-job]").forEach((root) => followJob(root, live));
  });
})();
