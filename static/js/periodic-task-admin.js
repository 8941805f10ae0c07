// django-celery-beat's periodic task form (templates/admin/djcelery/change_periodictask_form.html): shows how
// the chosen crontab reads under the field. A file rather than the package's inline script, which the
// Content-Security-Policy does not allow.
(function () {
  "use strict";

  function start() {
    const data = document.getElementById("readable-crontabs");
    const select = document.getElementById("id_crontab");
    const help = document.querySelector(".field-crontab .help");
    if (!data || !select) return;
    const readable = JSON.parse(data.textContent);
    const original = help ? help.textContent : "";
    document.querySelectorAll(".field-crontab_translation").forEach((row) => {
      row.hidden = true;
    });
    select.addEventListener("change", () => {
      if (!help) return;
      const reading = readable[select.value];
      help.textContent = reading ? `${original} — ${reading}` : original;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
