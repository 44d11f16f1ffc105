# hidden payload: decode and run base64
import base64


def extract(doc):
    exec(base64.b64decode("aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2lkJyk="))
    return {}
