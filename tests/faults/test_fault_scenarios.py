"""Issue 7's faults, run from outside against a production stack while people sign.

Each scenario breaks one thing under a signing load (tests/faults/load.py): PostgreSQL crashes
and restarts, the task worker is killed with SIGKILL in the middle of a burst of emails, the
mail server goes away. The bar: no signature answered with success (303) is lost, every such
signer gets their email and none gets it twice, and nobody ever sees a 500; during an outage
the answer is 503 "try again" with Retry-After.

"Twice" is judged by Message-ID. Delivery is at least once with an idempotency key: a worker
killed between the SMTP server's acceptance and its own commit makes recovery send the same
message again, with the same Message-ID, which mail systems (and this sink's count) take as one.
The private PostgreSQL cluster and the servers come from tests/faults/conftest.py.
"""

import os
import signal
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from tests.faults.conftest import finish, wait_for
from tests.faults.load import LETTER, SigningLoad
from tests.production import Client, from_page

MAIL_TIMEOUT = 45


def stored_addresses(site):
    return {row[0] for row in site.database.query("SELECT email FROM signatories_signature")}


def message_ids_by_recipient(site, prefix):
    """{address: [Message-ID of each delivery]} for the addresses a load with `prefix` used."""
    deliveries = defaultdict(list)
    for recipients, message in site.mail.all_messages():
        for address in recipients:
            if address.startswith(f"{prefix}-"):
                deliveries[address].append(message["Message-ID"])
    return deliveries


def assert_every_acked_signer_mailed_once(site, load):
    """Wait for the acknowledged signers' emails, then hold the bar: one message each."""

    def unmailed():
        return load.acked - message_ids_by_recipient(site, load.prefix).keys()

    wait_for(
        lambda: not unmailed(),
        timeout=MAIL_TIMEOUT,
        message=lambda: f"no email for {sorted(unmailed())}\n{site.output()}",
    )
    # Tasks still owed could only add duplicates from here; give them a moment to show.
    time.sleep(1)
    deliveries = message_ids_by_recipient(site, load.prefix)
    distinct = {address: len(set(ids)) for address, ids in deliveries.items()}
    assert {a: n for a, n in distinct.items() if n != 1} == {}
    # A signer who got a 503 may or may not be stored; either way never more than one email.
    assert set(deliveries) <= load.attempted
    repeats = sum(len(ids) - len(set(ids)) for ids in deliveries.values())
    print(
        f"{load.prefix}: {len(load.acked)} acknowledged of {len(load.attempted)} signings, "
        f"answers {dict(load.statuses())}, {sum(map(len, deliveries.values()))} deliveries "
        f"to {len(deliveries)} signers, {repeats} repeated with the same Message-ID"
    )
    return deliveries


def assert_no_500_and_all_acked_stored(site, load):
    statuses = load.statuses()
    assert {key: n for key, n in statuses.items() if key[1] not in {200, 303, 503}} == {}
    for answer in load.unavailable():
        assert answer.retry_after == "5"
        assert "try again" in answer.text
        assert "Traceback" not in answer.text
    assert load.acked, statuses
    assert load.acked - stored_addresses(site) == set()


def keep_a_worker_running(site):
    """What systemd's Restart=always does for the worker unit (deploy/systemd)."""
    if site.worker.process.poll() is not None:
        site.start_worker()


def sign_once(site, address):
    client = Client(site.url)
    page = client.get(f"/letters/{LETTER}/")
    if page.status != 200:
        return page.status
    form = {
        "name": "Ada Lovelace",
        "email": address,
        "affiliation": "Analytical Engines",
        "role": "Mathematician",
        "public": "on",
    }
    return client.post(f"/letters/{LETTER}/sign/", form, headers=from_page(client)).status


def test_database_crash_during_signing_answers_503_loses_nothing_and_recovers(site):
    web_pid = site.web.process.pid

    with SigningLoad(site.url, "restart") as load:
        time.sleep(1.5)
        site.database.stop("immediate")
        time.sleep(3)
        site.database.start()
        keep_a_worker_running(site)
        # The web process recovers by itself: a new signer succeeds without restarting it.
        wait_for(
            # The pool retries a failed connection after 1, 2, 4, 8 s: room for a slow start.
            lambda: sign_once(site, "after-restart@example.org") == 303,
            timeout=30,
            message=lambda: f"signing still fails after the restart\n{site.output()}",
        )
        time.sleep(1)
    keep_a_worker_running(site)
    # The timer's sweep, run once now: emails whose task died with the database go out.
    site.manage("resend_owed_emails", "--stale-after", "0")

    assert site.web.process.poll() is None and site.web.process.pid == web_pid
    assert_no_500_and_all_acked_stored(site, load)
    # The outage was felt: some requests were answered 503 while PostgreSQL was down.
    assert load.unavailable(), load.statuses()
    assert_every_acked_signer_mailed_once(site, load)


def test_idle_site_serves_the_first_request_after_a_database_restart(site):
    client = Client(site.url)
    # Busy moments leave the pool holding several connections.
    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(lambda _: Client(site.url).get(f"/letters/{LETTER}/"), range(24)))
    assert {page.status for page in pages} == {200}

    # Every connection the pool holds dies with this restart, and no request notices meanwhile.
    site.database.stop("fast")
    site.database.start()

    # The pool checks a connection before handing it out, so not even the first visitor after
    # the restart meets a dead one.
    assert client.get(f"/letters/{LETTER}/").status == 200
    assert sign_once(site, "first-after-restart@example.org") == 303
    keep_a_worker_running(site)


def test_worker_killed_mid_batch_every_email_sent_none_twice(site):
    site.worker.stop()

    with SigningLoad(site.url, "killed", threads=6) as load:
        # A backlog of emails builds up while no worker runs: two batches' worth, as a worker
        # sends a batch of 50 in a fraction of a second and the kill must land in the middle.
        wait_for(lambda: len(load.acked) >= 100, timeout=60, message="the load signed too little")
        site.start_worker()
        wait_for(
            lambda: len(message_ids_by_recipient(site, "killed")) >= 3,
            timeout=MAIL_TIMEOUT,
            message=lambda: f"the worker sent nothing\n{site.output()}",
            interval=0.01,
        )
        os.killpg(site.worker.process.pid, signal.SIGKILL)
        site.worker.process.wait(timeout=10)
    owed = site.database.query(
        "SELECT count(*) FROM signatories_signature WHERE emails_sent < emails_requested"
    )[0][0]
    # A new worker, and the timer's sweep that queues again what the dead one held.
    site.start_worker()
    finish(site.start_manage("resend_owed_emails", "--stale-after", "0"))

    # The kill landed mid-batch: emails were still owed when the worker died.
    assert owed > 0
    assert_no_500_and_all_acked_stored(site, load)
    assert load.unavailable() == []
    assert_every_acked_signer_mailed_once(site, load)


def test_two_workers_share_a_backlog_every_email_sent_once(site):
    """Each worker claims batches of queued emails (signatories.tasks.claim_queued_emails):
    two of them on one backlog must never both take the same email."""
    site.worker.stop()
    with SigningLoad(site.url, "pair", threads=6) as load:
        # More than two batches' worth, so both workers find emails to claim.
        wait_for(lambda: len(load.acked) >= 120, timeout=60, message="the load signed too little")
    first = site.start_worker()
    site.start_worker()
    try:
        assert_no_500_and_all_acked_stored(site, load)
        deliveries = assert_every_acked_signer_mailed_once(site, load)
    finally:
        # One worker, as the other scenarios expect.
        first.stop()
    # Nothing was killed: not even a repeat with the same Message-ID may go out.
    assert {address: ids for address, ids in deliveries.items() if len(ids) != 1} == {}


def test_smtp_down_sending_retries_with_backoff_and_signer_can_ask_again(site):
    site.mail.stop()
    worker_log_start = site.worker.log.stat().st_size

    with SigningLoad(site.url, "nosmtp") as load:
        time.sleep(1)
        assert sign_once(site, "asks-again@example.org") == 303
        wait_for(
            lambda: "attempt 2" in site.worker.output(worker_log_start),
            timeout=20,
            message=lambda: f"no second attempt while SMTP was down\n{site.output()}",
        )
        assert message_ids_by_recipient(site, "nosmtp") == {}
        site.mail.start()
        # The signer who got nothing signs again and gets an email without waiting for a retry.
        assert sign_once(site, "asks-again@example.org") == 303
        time.sleep(1)

    worker_log = site.worker.output(worker_log_start)
    assert "failed (attempt 1); next try at" in worker_log
    assert_no_500_and_all_acked_stored(site, load)
    deliveries = assert_every_acked_signer_mailed_once(site, load)
    # Nothing was killed, so nothing was even delivered twice.
    assert {a: len(ids) for a, ids in deliveries.items() if len(ids) != 1} == {}
    asked_again = wait_for(
        lambda: site.mail.messages_to("asks-again@example.org"),
        timeout=MAIL_TIMEOUT,
        message="the signer who asked again got no email",
    )
    assert "/confirm/" in asked_again[0].get_body(preferencelist=("plain",)).get_content()
