// The books' dashboard follows the organization's live stream: when a posting moves balances
// ("ledger.balances_changed"), it fetches the dashboard's sections afresh and swaps them in, marking the
// accounts that moved. No dependencies, no build step; without it (or without a connection) the page simply
// shows the figures of when it was loaded.
(function () {
  "use strict";

  const roots = document.querySelectorAll("[data-ledger-dashboard]");
  if (!roots.length) return;
  const DELAY = 300; // postings often come in bursts: one refresh for a burst

  function withLive(callback) {
    if (window.KontoraLive) return callback(window.KontoraLive);
    const src = Array.from(roots).map((root) => root.dataset.liveSrc).find(Boolean);
    let script = Array.from(document.scripts).find((s) => s.src && s.src.indexOf("/js/live.js") !== -1);
    if (!script && src) {
      script = document.createElement("script");
      script.src = src;
      document.head.append(script);
    }
    if (!script) return;
    script.addEventListener("load", () => window.KontoraLive && callback(window.KontoraLive));
  }

  function follow(root, live) {
    const stream = "org:" + root.dataset.organization;
    const url = root.dataset.liveUrl;
    const updated = root.querySelector("[data-ledger-updated]");
    let timer = null;
    let running = false;
    let again = false;
    let moved = new Set();

    function refresh() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      const accounts = moved;
      moved = new Set();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => {
          if (!data || !data.sections) return;
          Object.entries(data.sections).forEach(([name, html]) => {
            const section = root.querySelector('[data-ledger-section="' + name + '"]');
            if (section && section.innerHTML.trim() !== html.trim()) section.innerHTML = html;
          });
          accounts.forEach((id) => {
            root.querySelectorAll('[data-account="' + id + '"]').forEach((row) => {
              row.classList.remove("ledger-flash");
              void row.offsetWidth; // restart the animation
              row.classList.add("ledger-flash");
            });
          });
          if (updated && root.dataset.textUpdated) {
            const time = new Date(data.at).toLocaleTimeString(document.documentElement.lang || undefined);
            updated.textContent = root.dataset.textUpdated.replace("{time}", time);
          }
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
      if (event.stream !== stream || event.type !== "ledger.balances_changed") return;
      // Each account is named by its id, or given as {id, balance, currency}.
      ((event.data && event.data.accounts) || []).forEach((account) => {
        moved.add(String(account && typeof account === "object" ? account.id : account));
      });
      schedule();
    });
    // Events were missed (the connection was down too long): the figures may be stale, fetch them.
    live.onGap((gap) => {
      if (gap.stream === stream) schedule();
    });
  }

  withLive((live) => roots.forEach((root) => follow(root, live)));
})();
