"""MarkProvenance in the real ASL, with the real handlers: every published image is
marked, and an image that cannot be marked is never published."""

from __future__ import annotations

import io

import c2pa
import requests
from PIL import Image

from tests.conftest import FAILURE_END
from tests.provenance.images import jpeg, png
from text2image.domain.provenance import TRAINED_ALGORITHMIC_MEDIA, execution_hash
from text2image.provenance import verify_image
from workflow.local.environment import PROVENANCE_CERTIFICATE_PARAMETER, LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"


def trust_anchor(env: LocalEnvironment) -> str:
    chain = env.ssm.get_parameter(Name=PROVENANCE_CERTIFICATE_PARAMETER)["Parameter"]["Value"]
    end = "-----END CERTIFICATE-----"
    return chain[chain.index(end) + len(end) :].strip() + "\n"


def test_an_approved_image_carries_signed_credentials_and_a_watermark_that_survive_as_designed(
    env: LocalEnvironment,
):
    result = env.run({"prompt": BENIGN, "seed": 7})
    assert result.http_status == 200
    assert result.states.index("MarkProvenance") == result.states.index("StoreImage") - 1
    published = requests.get(result.body["image_url"], timeout=10).content

    with c2pa.Reader("image/png", io.BytesIO(published)) as reader:
        manifest = reader.get_active_manifest()
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    assert actions["data"]["actions"][0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA

    answer = verify_image(published, trust_anchors_pem=trust_anchor(env))
    assert (answer.content_credentials.valid, answer.content_credentials.trusted) == (True, True)
    assert answer.content_credentials.generator.startswith(result.body["model"])
    assert answer.watermark.payload == f"text2image:{execution_hash(result.execution_arn)}"

    small = Image.open(io.BytesIO(jpeg(Image.open(io.BytesIO(published)), 80))).resize((512, 512))
    copy = verify_image(png(small))
    assert copy.watermark.found and not copy.content_credentials.present
    resized_first = Image.open(io.BytesIO(published)).convert("RGB").resize((512, 512))
    copy = verify_image(jpeg(resized_first, 80))
    assert copy.watermark.payload == f"text2image:{execution_hash(result.execution_arn)}"
    assert env.keys("staging/") == []


def test_a_kms_throttle_is_retried_and_the_image_is_still_marked(env: LocalEnvironment):
    inject_fault(env.standins_url, "kms", "throttle", count=2)  # one attempt's two SDK calls
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    assert result.state("MarkProvenance").attempts == 2
    assert verify_image(requests.get(result.body["image_url"], timeout=10).content).watermark.found


def test_a_kms_error_ends_in_provenance_failed_and_publishes_nothing(env: LocalEnvironment):
    inject_fault(env.standins_url, "kms", "error", count=100)
    result = env.run({"prompt": BENIGN})

    assert (result.http_status, result.body["error"]) == (502, "ProvenanceFailed")
    expected = ["DiscardImageAfterProvenanceError", "ProvenanceFailed", *FAILURE_END]
    assert result.states[-len(expected) :] == expected
    assert env.dispatcher.calls_to("StoreImage") == []
    assert env.keys("staging/") == []
    assert env.keys("generated_images/") == []


def test_a_missing_signing_certificate_fails_closed(env: LocalEnvironment):
    env.configure("MarkProvenance", PROVENANCE_CERTIFICATE_PARAMETER="/text2image-local/no-such-parameter")
    result = env.run({"prompt": BENIGN})

    assert (result.http_status, result.body["error"]) == (502, "ProvenanceFailed")
    assert result.state("MarkProvenance").attempts == 1  # a refusal is not retried
    assert env.keys("staging/") == [] and env.keys("generated_images/") == []
