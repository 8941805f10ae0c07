// The posting form of the admin: lines can be added, and the difference between debits and credits is shown
// per currency while typing. No dependencies, no build step. The server checks the same on submit; this only
// tells the bookkeeper earlier. Amounts are summed exactly (as integers of 10^-8), never as floats.
(function () {
  "use strict";

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  function start() {
    const fieldset = document.getElementById("ledger-legs");
    if (!fieldset) return;
    const SCALE = 8;
    const UNIT = 10n ** BigInt(SCALE);
    const currencyData = document.getElementById("ledger-account-currencies");
    const currencies = currencyData ? JSON.parse(currencyData.textContent || "{}") : {};
    const body = fieldset.querySelector("[data-legs]");
    const template = fieldset.querySelector("[data-leg-template]");
    const addButton = fieldset.querySelector("[data-add-leg]");
    const status = fieldset.querySelector("[data-balance-status]");
    const totalCells = {
      debit: fieldset.querySelector('[data-total="debit"]'),
      credit: fieldset.querySelector('[data-total="credit"]'),
    };
    const totalForms = fieldset.querySelector('input[name$="-TOTAL_FORMS"]');
    const lang = document.documentElement.lang || undefined;
    const grouping = new Intl.NumberFormat(lang, { useGrouping: true, maximumFractionDigits: 0 });
    const decimalMark = (1.5).toLocaleString(lang).replace(/[0-9]/g, "") || ".";

    // "1 500,50" or "1500.50" → 150050000000n; anything else (empty, negative, letters) → null.
    function parse(text) {
      let clean = (text || "").replace(/[\s\u00a0\u202f']/g, "");
      clean = decimalMark === "," ? clean.replace(",", ".") : clean.replace(/,/g, "");
      if (!/^[0-9]*\.?[0-9]*$/.test(clean) || !/[0-9]/.test(clean)) return null;
      const [whole, fraction = ""] = clean.split(".");
      if (fraction.length > SCALE) return null;
      return BigInt(whole || "0") * UNIT + BigInt((fraction + "0".repeat(SCALE)).slice(0, SCALE));
    }

    function format(value, precision) {
      const negative = value < 0n;
      const absolute = negative ? -value : value;
      let fraction = (absolute % UNIT).toString().padStart(SCALE, "0");
      let keep = precision;
      while (keep < SCALE && fraction.slice(keep).replace(/0/g, "") !== "") keep += 1;
      fraction = fraction.slice(0, keep);
      const whole = grouping.format(absolute / UNIT);
      return (negative ? "-" : "") + whole + (fraction ? decimalMark + fraction : "");
    }

    function fill(text, amount, currency) {
      return text.replace("{amount}", amount).replace("{currency}", currency);
    }

    function update() {
      const sums = new Map(); // currency → {debit, credit, precision}
      let lines = 0;
      body.querySelectorAll("[data-leg]").forEach((row) => {
        const account = row.querySelector("select.ledger-account-select");
        const inputs = row.querySelectorAll("input.ledger-amount-input");
        const debit = parse(inputs[0] && inputs[0].value);
        const credit = parse(inputs[1] && inputs[1].value);
        const info = account && currencies[account.value];
        if (!info || (debit === null && credit === null)) return;
        lines += 1;
        const [currency, precision] = info;
        const sum = sums.get(currency) || { debit: 0n, credit: 0n, precision: precision };
        if (debit !== null) sum.debit += debit;
        if (credit !== null) sum.credit += credit;
        sums.set(currency, sum);
      });
      const ordered = Array.from(sums.entries()).sort((a, b) => a[0].localeCompare(b[0]));
      ["debit", "credit"].forEach((side) => {
        if (!totalCells[side]) return;
        totalCells[side].replaceChildren();
        ordered.forEach(([currency, sum], index) => {
          if (index) totalCells[side].append(document.createElement("br"));
          totalCells[side].append(format(sum[side], sum.precision) + "\u00a0" + currency);
        });
      });
      const problems = [];
      ordered.forEach(([currency, sum]) => {
        const difference = sum.debit - sum.credit;
        if (difference === 0n) return;
        const text = difference > 0n ? fieldset.dataset.textDebits : fieldset.dataset.textCredits;
        problems.push(fill(text, format(difference > 0n ? difference : -difference, sum.precision), currency));
      });
      if (lines < 2) {
        status.textContent = lines ? fieldset.dataset.textEmpty : "";
        status.dataset.state = lines ? "off" : "";
      } else if (problems.length) {
        status.textContent = problems.join(" ");
        status.dataset.state = "off";
      } else {
        status.textContent = fieldset.dataset.textBalanced;
        status.dataset.state = "ok";
      }
    }

    function addLine() {
      const index = parseInt(totalForms.value, 10);
      const holder = document.createElement("tbody");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      const row = holder.querySelector("[data-leg]");
      body.append(row);
      totalForms.value = String(index + 1);
      const first = row.querySelector("select, input");
      if (first) first.focus();
    }

    body.addEventListener("input", update);
    body.addEventListener("change", update);
    if (addButton && template && totalForms) {
      addButton.hidden = false;
      addButton.addEventListener("click", addLine);
    }
    update();
  }
})();
