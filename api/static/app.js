// Small conveniences for the pages; every page works without them.
(function () {
  "use strict";
  // Ctrl+Enter (or Cmd+Enter) in the SPARQL editor runs the query.
  var editor = document.getElementById("sparql-query");
  if (editor) {
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && editor.form) {
        event.preventDefault();
        editor.form.requestSubmit ? editor.form.requestSubmit() : editor.form.submit();
      }
    });
  }
  // "Skriv ut" buttons.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
