"""`manage.py db_worker`: django_tasks_db's worker, with the mail held while the machine is
saturated (signatories.worker). It takes the library's options and runs all our queues
(settings.TASK_QUEUES) unless told otherwise. It replaces the library's command because this
app comes before django_tasks_db in INSTALLED_APPS."""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from config.tasks import EMAIL_QUEUE
from signatories.worker import Worker, pacer_from_settings


class Command(db_worker.Command):
    help = "Run the task worker: emails (held while the machine is saturated), counts, actions."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name=",".join(settings.TASK_QUEUES))

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        exclude_queues,
        batch,
        reload,
        interval,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        **options,
    ):
        # As the library's handle(), with this app's Worker.
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        if EMAIL_QUEUE in excluded_queue_names or not {"*", EMAIL_QUEUE} & set(queue_names):
            # Started as before the mail had its own queue (--queue-name default), say.
            self.stderr.write(
                f"This worker does not send email: the '{EMAIL_QUEUE}' queue is not among its"
                " queues. Emails wait for a worker that runs it."
            )
        worker = Worker(
            pacer=pacer_from_settings(),
            queue_names=queue_names,
            excluded_queue_names=excluded_queue_names,
            batch=batch,
            interval=interval,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
