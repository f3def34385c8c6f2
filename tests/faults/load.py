"""Signing under load, from outside: a few client threads posting the sign form with CSRF."""

import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field

from tests.production import Client, from_page

LETTER = "faults"
THREADS = 3
PAUSE = 0.1


@dataclass
class Answer:
    what: str
    status: int
    retry_after: str | None = None
    text: str = ""


@dataclass
class SigningLoad:
    """Each thread signs with new addresses until stopped; every answer is recorded."""

    url: str
    prefix: str
    threads: int = THREADS
    acked: set = field(default_factory=set)
    attempted: set = field(default_factory=set)
    answers: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._sign_repeatedly, args=(n,), daemon=True)
            for n in range(self.threads)
        ]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _record(self, answer, *, address=None):
        with self._lock:
            self.answers.append(answer)
            if address is not None:
                self.attempted.add(address)
                if answer.what == "sign" and answer.status == 303:
                    self.acked.add(address)

    def _ask(self, what, call):
        """The call's answer as recorded, with the response (None when there was none)."""
        try:
            response = call()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return Answer(what, 0, text=repr(error)), None
        answer = Answer(
            what,
            response.status,
            response.headers.get("Retry-After"),
            response.text if response.status >= 500 else "",
        )
        return answer, response

    def _sign_repeatedly(self, thread):
        client = Client(self.url)
        # Like a person, each signer first loads the letter page, then posts its form (the
        # shared page carries no CSRF token: the browser's Origin and Sec-Fetch-Site vouch).
        page_loaded = False
        number = 0
        while not self._stop.is_set():
            if not page_loaded:
                answer, _ = self._ask("page", lambda: client.get(f"/letters/{LETTER}/"))
                self._record(answer)
                page_loaded = answer.status == 200
                if not page_loaded:
                    time.sleep(0.2)
                continue
            address = f"{self.prefix}-{thread}-{number}@example.org"
            number += 1
            form = {
                "name": f"Signer {self.prefix} {thread} {number}",
                "email": address,
                "affiliation": "Example University",
                "role": "Researcher",
                "public": "on",
            }
            answer, _ = self._ask(
                "sign",
                lambda form=form: client.post(
                    f"/letters/{LETTER}/sign/", form, headers=from_page(client)
                ),
            )
            self._record(answer, address=address)
            time.sleep(PAUSE)

    def statuses(self):
        with self._lock:
            return Counter((answer.what, answer.status) for answer in self.answers)

    def unavailable(self):
        with self._lock:
            return [answer for answer in self.answers if answer.status == 503]
