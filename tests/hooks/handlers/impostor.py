"""A chat function that is wrong in one way, chosen by IMPOSTOR_MODE (the hook's failure paths).

- ``idle``: answers ``{"statusCode": 200}`` to everything and does nothing else;
- ``refuse``: answers ``{"statusCode": 500}`` to ``$connect``;
- ``raise``: raises (Lambda reports an Unhandled function error);
- ``sleep``: sleeps ``IMPOSTOR_SLEEP`` seconds, then answers 200.
"""

import os
import time


def handler(event, context):
    mode = os.environ.get("IMPOSTOR_MODE", "idle")
    if mode == "raise":
        raise RuntimeError("impostor: broken on purpose")
    if mode == "sleep":
        time.sleep(float(os.environ.get("IMPOSTOR_SLEEP", "10")))
    if mode == "refuse" and event["requestContext"]["eventType"] == "CONNECT":
        return {"statusCode": 500}
    return {"statusCode": 200}
