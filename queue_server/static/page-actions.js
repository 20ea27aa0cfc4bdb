// Small behaviours every page may ask for by attribute, so no page needs inline script (the
// Content-Security-Policy allows scripts from this site's files only):
//   <form data-confirm="删除？">          asks before submitting
//   <select data-autosubmit>              submits its form when changed
//   <a data-ask-code="/book" data-ask="请输入6位预约码">  asks for a code and opens /book/<code>
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.submit();
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-ask-code]");
  if (!link) return;
  event.preventDefault();
  const code = window.prompt(link.dataset.ask || "");
  if (code && code.trim()) location.href = `${link.dataset.askCode}/${encodeURIComponent(code.trim())}`;
});
