// reportgen serve: progressive enhancement only. The page works without this file; with it a workbook can be
// dropped on the page, an oversized file is refused before it is sent, and a busy button says so.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("workbook");
  const drop = document.getElementById("drop");
  const shown = document.getElementById("drop-file");
  const clientError = document.getElementById("client-error");

  function showError(text) {
    if (!clientError) return;
    clientError.querySelector("p").textContent = text;
    clientError.hidden = false;
  }

  function chosen() {
    if (!input || !input.files || !input.files.length) return true;
    const file = input.files[0];
    shown.textContent = file.name;
    if (file.size > Number(form.dataset.limit)) {
      showError(form.dataset.tooLarge);
      return false;
    }
    clientError.hidden = true;
    return true;
  }

  if (form && input && drop) {
    input.addEventListener("change", chosen);
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) {
        event.preventDefault();
        drop.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      if (chosen()) form.requestSubmit();
    });
    form.addEventListener("submit", function (event) {
      if (!input.files.length) {
        event.preventDefault();
        showError(form.dataset.noFile);
      } else if (!chosen()) {
        event.preventDefault();
      }
    });
  }

  document.querySelectorAll("form.busy-form").forEach(function (busyForm) {
    busyForm.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      const button = busyForm.querySelector("button[type=submit]");
      if (!button) return;
      window.setTimeout(function () {
        button.disabled = true;
        if (busyForm.dataset.busy && busyForm.dataset.busy !== "…") button.textContent = busyForm.dataset.busy;
      }, 0);
    });
  });
})();
