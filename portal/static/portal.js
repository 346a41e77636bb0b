// radiusd portal: the only script. It adds "Copy" and "Print" to the
// recovery-code page; every flow works without it.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var copy = document.getElementById("copy");
  var print = document.getElementById("print");
  var list = document.getElementById("recovery-codes");
  if (copy && list) {
    copy.addEventListener("click", function () {
      var text = Array.prototype.map.call(list.querySelectorAll("li"), function (li) { return li.textContent.trim(); }).join("\n");
      navigator.clipboard.writeText(text + "\n").then(function () { copy.textContent = "Copied"; },
        function () { copy.textContent = "Copy failed: select the codes by hand"; });
    });
  }
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
});
