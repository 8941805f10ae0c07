// The admin's language switcher (templates/admin/base_site.html): choosing a language submits its form.
// A file rather than an onchange attribute: the Content-Security-Policy allows no inline script.
document.addEventListener("change", (event) => {
  if (event.target.id === "admin-language") {
    event.target.form.submit();
  }
});
