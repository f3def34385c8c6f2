// The letter page's counts, kept current by polling the count endpoint (no sockets).
// Each page waits its own jittered interval, so a crowd that opened the letter together does
// not poll in lockstep, and it stops while its tab is hidden, so a forgotten tab costs nothing.
(function () {
  "use strict";

  const JITTER = 0.3;
  // After failures the wait doubles, up to this many intervals, so an outage is not hammered.
  const MAX_BACKOFF = 8;

  function setup(section) {
    const url = section.dataset.countUrl;
    const interval = (Number(section.dataset.countInterval) || 15) * 1000;
    const total = section.querySelector('[data-count="total"]');
    const label = section.querySelector("[data-count-label]");
    const progress = section.querySelector("progress");
    const announcer = section.querySelector("[data-count-announce]");
    const headline = total.parentElement;
    const format = new Intl.NumberFormat(document.documentElement.lang || "en");
    // French says "0 signature confirmée": the singular covers zero, as Django's catalogs do.
    const plural = new Intl.PluralRules(document.documentElement.lang || "en");
    let shownTotal = total.textContent;
    let timer = null;
    let failures = 0;
    let polling = false;
    let lastPoll = Date.now();

    function wait() {
      const backoff = Math.min(2 ** failures, MAX_BACKOFF);
      return interval * backoff * (1 - JITTER + Math.random() * 2 * JITTER);
    }

    function schedule() {
      clearTimeout(timer);
      timer = document.hidden ? null : setTimeout(poll, wait());
    }

    function show(data) {
      const counts = Object.assign({ total: data.total }, data.by_level);
      for (const [key, value] of Object.entries(counts)) {
        const element = section.querySelector('[data-count="' + key + '"]');
        if (element) element.textContent = format.format(value);
      }
      if (label) {
        label.textContent =
          plural.select(data.total) === "one" ? label.dataset.singular : label.dataset.plural;
      }
      if (progress) progress.value = data.total;
      // Announce the headline only when the total moved: a poll that changes nothing stays silent.
      if (announcer && total.textContent !== shownTotal) {
        shownTotal = total.textContent;
        announcer.textContent = headline.textContent.replace(/\s+/g, " ").trim();
      }
    }

    async function poll() {
      if (polling) return;
      polling = true;
      lastPoll = Date.now();
      try {
        // The browser's own copy is the previous poll's answer; serving it stale would put the
        // page one interval behind. Revalidating (ETag) is cheap, and a shared cache in front
        // of the site still answers the crowd from its five-second copy.
        const response = await fetch(url, {
          cache: "no-cache",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error("count endpoint answered " + response.status);
        show(await response.json());
        failures = 0;
      } catch {
        failures += 1;
      } finally {
        polling = false;
      }
      schedule();
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
      } else if (Date.now() - lastPoll >= interval) {
        poll();
      } else {
        schedule();
      }
    });
    schedule();
  }

  document.querySelectorAll("[data-count-url]").forEach(setup);
})();
