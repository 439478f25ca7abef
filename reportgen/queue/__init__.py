"""Beyond one machine: builds and sends as Celery tasks over Redis, run by `reportgen worker`s; the front ends
enqueue and wait. Sits between the front ends (apps, cycle) and the pipeline the tasks call."""
