import pytest

from text2image.catalogue import FUNCTIONS, asl_substitutions
from text2image.config import (
    ConfigurationError,
    DiscardConfig,
    GenerationConfig,
    ModerationConfig,
    PromptCheckConfig,
)


def test_defaults_are_the_documented_ones():
    config = PromptCheckConfig.from_env({})
    assert config.toxicity_threshold == 0.5
    assert config.label_thresholds == {}
    assert config.translate_prompts is True
    moderation = ModerationConfig.from_env({"IMAGE_BUCKET": "images"})
    assert moderation.min_confidence == 50
    assert len(moderation.blocked_categories) == 10  # every category blocks


def test_values_are_read_and_parsed_from_the_environment():
    config = PromptCheckConfig.from_env({"TOXICITY_THRESHOLD": "0.3", "LABEL_THRESHOLDS": '{"INSULT": 0.2}'})
    assert config.toxicity_threshold == 0.3
    assert config.label_thresholds == {"INSULT": 0.2}
    assert PromptCheckConfig.from_env({"TRANSLATE_PROMPTS": "false"}).translate_prompts is False
    moderation = ModerationConfig.from_env(
        {"IMAGE_BUCKET": "images", "BLOCKED_CATEGORIES": "Explicit, Violence"}
    )
    assert moderation.blocked_categories == ("Explicit", "Violence")


def test_a_missing_required_variable_fails_at_cold_start_naming_it():
    with pytest.raises(ConfigurationError, match="ENDPOINT_NAME"):
        GenerationConfig.from_env({"IMAGE_BUCKET": "images"})


@pytest.mark.parametrize(
    ("config", "environment", "named"),
    [
        (PromptCheckConfig, {"TOXICITY_THRESHOLD": "1.5"}, "TOXICITY_THRESHOLD"),
        (PromptCheckConfig, {"LABEL_THRESHOLDS": '{"RUDE": 0.2}'}, "LABEL_THRESHOLDS"),
        (PromptCheckConfig, {"TRANSLATE_PROMPTS": "sometimes"}, "TRANSLATE_PROMPTS"),
        (ModerationConfig, {"IMAGE_BUCKET": "images", "BLOCKED_CATEGORIES": "Nudity"}, "BLOCKED_CATEGORIES"),
        (GenerationConfig, {"IMAGE_BUCKET": "images", "ENDPOINT_NAME": "e", "SAMPLER": "DDIM"}, "SAMPLER"),
        (DiscardConfig, {"IMAGE_BUCKET": "images", "REJECTED_IMAGE_ACTION": "keep"}, "REJECTED_IMAGE_ACTION"),
    ],
)
def test_an_invalid_value_fails_at_cold_start_naming_the_variable(config, environment, named):
    with pytest.raises(ConfigurationError, match=named):
        config.from_env(environment)


def test_every_catalogued_handler_exists_and_its_config_lists_its_variables():
    import importlib

    for spec in FUNCTIONS:
        module_name, attribute = spec.handler.rsplit(".", 1)
        assert attribute == "handler"
        assert importlib.util.find_spec(module_name) is not None, spec.handler
        assert spec.config.env_names(), spec.name


def test_asl_placeholders_map_to_function_arns_and_an_unknown_one_is_refused():
    definition = '{"Resource": "${GenerateImageFunctionArn}"}'
    substitutions = asl_substitutions(definition, lambda name: f"arn:{name}")

    assert substitutions["GenerateImageFunctionArn"] == "arn:GenerateImage"
    with pytest.raises(ValueError, match="NoSuchFunctionArn"):
        asl_substitutions('{"Resource": "${NoSuchFunctionArn}"}', lambda name: f"arn:{name}")


def test_the_job_queue_depth_follows_the_capacity_unless_set_and_a_bad_capacity_is_named():
    from text2image.config import JobsConfig

    required = {"JOBS_TABLE": "jobs", "JOB_STATE_MACHINE_ARN": "arn:jobs"}
    assert JobsConfig.from_env(required).queue_depth == 57  # one slot, 8 s, two runs of 300 s
    assert JobsConfig.from_env(required | {"GENERATION_CAPACITY": "3"}).queue_depth == 3 * 57
    assert JobsConfig.from_env(required | {"MAX_JOBS_IN_FLIGHT": "4"}).queue_depth == 4
    with pytest.raises(ConfigurationError, match="GENERATION_CAPACITY"):
        JobsConfig.from_env(required | {"GENERATION_CAPACITY": "many"})
    with pytest.raises(ConfigurationError, match="MAX_JOBS_IN_FLIGHT"):
        JobsConfig.from_env(required | {"MAX_JOBS_IN_FLIGHT": "0"})
