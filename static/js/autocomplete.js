// Organization suggestions for the affiliation field: the ARIA 1.2 combobox pattern.
// Without JavaScript the field is plain text and the server matches exact names itself.
(function () {
  "use strict";

  function debounce(fn, ms) {
    let timer;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  function setup(input) {
    const hidden = input.form.querySelector('input[name="organization"]');
    const url = input.dataset.autocompleteUrl;
    const listbox = document.createElement("ul");
    const status = document.createElement("p");
    const listId = input.id + "-suggestions";
    // What the script says comes from the page, in its language (see SignForm.affiliation).
    const words = input.dataset;
    const plural = new Intl.PluralRules(document.documentElement.lang || "en");
    let options = [];
    let active = -1;
    let chosenName = null;

    listbox.id = listId;
    listbox.className = "suggestions";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", words.suggestionsLabel);
    listbox.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", listbox);
    listbox.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      const li = options[index];
      input.value = li.dataset.name;
      chosenName = li.dataset.name;
      if (hidden) hidden.value = li.dataset.rorId || "";
      status.textContent = words.selected.replace("{name}", li.dataset.name);
      close();
    }

    function show(results) {
      listbox.replaceChildren();
      options = results.map((result, i) => {
        const li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.name = result.name;
        li.dataset.rorId = result.ror_id || "";
        li.textContent = result.name;
        if (result.country) {
          const country = document.createElement("span");
          country.className = "suggestions__country";
          country.textContent = " · " + result.country;
          li.append(country);
        }
        li.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        listbox.append(li);
        return li;
      });
      const open = options.length > 0;
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      const count =
        plural.select(options.length) === "one" ? words.oneSuggestion : words.manySuggestions;
      status.textContent = open ? count.replace("{n}", options.length) : "";
    }

    const lookup = debounce(async () => {
      const query = input.value.trim();
      if (query.length < 2) {
        show([]);
        return;
      }
      try {
        const response = await fetch(url + "?q=" + encodeURIComponent(query), {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const data = await response.json();
        if (input.value.trim() === query) show(data.results);
      } catch (error) {
        show([]);
      }
    }, 150);

    input.addEventListener("input", () => {
      if (hidden && input.value !== chosenName) hidden.value = "";
      lookup();
    });
    input.addEventListener("keydown", (event) => {
      if (listbox.hidden && event.key !== "ArrowDown") return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (listbox.hidden) lookup();
        else highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  document.querySelectorAll("input[data-autocomplete-url]").forEach(setup);
})();
