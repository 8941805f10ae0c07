// The return page (/ru/billing/return/): shows the payment's status as it changes. It listens to the live
// stream (static/js/live.js, event "billing.payment_status") and, while the live connection is down, asks
// the status URL every few seconds. Without scripts the page offers a reload link. No inline script (CSP).
(function () {
  "use strict";

  const box = document.querySelector("[data-billing-payment]");
  if (!box) return;
  const paymentId = Number(box.dataset.billingPayment);
  const statusUrl = box.dataset.statusUrl;
  const label = box.querySelector("[data-billing-status]");
  const done = box.querySelector("[data-billing-done]");
  const labels = JSON.parse(box.dataset.statusLabels || "{}");
  const FINAL = ["succeeded", "canceled", "failed"];
  const POLL_EVERY = 4000;
  let pollTimer = null;

  function show(status) {
    if (!label || !status) return;
    label.dataset.status = status;
    label.textContent = labels[status] || status;
    box.dataset.status = status;
    if (FINAL.indexOf(status) !== -1) {
      stopPolling();
      if (done) done.hidden = false;
    }
  }

  function poll() {
    if (!statusUrl) return;
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (data && data.payment === paymentId) show(data.status);
      })
      .catch(() => {});
  }

  function startPolling() {
    if (pollTimer || FINAL.indexOf(box.dataset.status) !== -1) return;
    pollTimer = setInterval(poll, POLL_EVERY);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function liveOnline() {
    const indicator = document.querySelector("[data-live-status]");
    return indicator && indicator.dataset.state === "online";
  }

  document.addEventListener("kontora:live", (event) => {
    const data = event.detail;
    if (data && data.type === "billing.payment_status" && data.data && data.data.payment === paymentId) {
      show(data.data.status);
    }
  });
  // Missed events cannot be replayed: read the status once.
  document.addEventListener("kontora:live-gap", poll);

  // Poll only while the live connection is not up (checked now and then; live.js reconnects by itself).
  // On (re)connecting, read the status once: an event published before the connection is not replayed.
  let wasOnline = false;
  setInterval(() => {
    const online = liveOnline();
    if (online && !wasOnline) poll();
    wasOnline = online;
    if (online) stopPolling();
    else startPolling();
  }, 500);
  if (!liveOnline()) startPolling();
  poll(); // the status may have changed between rendering the page and connecting
})();
