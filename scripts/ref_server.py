#!/usr/bin/env python3
"""The reference Python liveness server that scripts/bench-serve.sh measures `liveness serve` against.

Flask (threaded) + onnxruntime around the functions of ../shared/tools/ref_pipeline.py in its best
configuration (UltraFace with initializer inputs stripped, the Silent-Face pair, one intra-op thread per
session, sessions shared by the request threads: onnxruntime's Run is thread-safe and releases the GIL).
POST /v1/liveness with a raw image body -> {"live_probability", "box"}; GET /readyz.

    .venv-ref/bin/python scripts/ref_server.py MODELS_DIR PORT
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "tools"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402

import ref_pipeline as ref  # noqa: E402


def main():
    models, port = sys.argv[1], int(sys.argv[2])
    ref.init_state(models, "silentface", 1, strip_inputs=True)
    det, scorer = ref._STATE["det"], ref._STATE["scorer"]
    app = Flask("ref_server")

    @app.get("/readyz")
    def ready():
        return jsonify(status="ready")

    @app.post("/v1/liveness")
    def liveness():
        bgr = cv2.imdecode(np.frombuffer(request.get_data(), np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            return jsonify(error={"code": "not_an_image"}), 422
        box = ref.pick_largest(det.detect(bgr))
        if box is None:
            return jsonify(error={"code": "no_face"}), 422
        return jsonify(live_probability=scorer.score(bgr, box), box=[int(v) for v in box])

    app.run("127.0.0.1", port, threaded=True)


if __name__ == "__main__":
    main()
