// Progressive enhancement of the upload form: drag and drop, the chosen file names, a busy state.
// The form works without any of this (plain <input type=file multiple> and a normal POST).
(function () {
  "use strict";
  var form = document.getElementById("upload");
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("chosen");
  var progress = document.getElementById("progress");
  var submit = document.getElementById("submit");
  if (!form || !input || !zone) { return; }
  var hints = zone.querySelectorAll(".js-only");
  for (var i = 0; i < hints.length; i++) { hints[i].hidden = false; }

  function showChosen() {
    var names = [];
    for (var i = 0; i < input.files.length; i++) { names.push(input.files[i].name); }
    chosen.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : "";
  }
  input.addEventListener("change", showChosen);

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showChosen();
    }
  });

  form.addEventListener("submit", function () {
    if (!input.files.length) { return; }
    submit.disabled = true;
    progress.textContent = "正在上传并校验 " + input.files.length + " 个文件，请稍候……";
  });
  // Coming back with the browser's back button must not leave the button disabled.
  window.addEventListener("pageshow", function () {
    submit.disabled = false;
    progress.textContent = "";
  });
})();
