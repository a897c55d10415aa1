"""Shared fixtures: the real taxonomy, and a real small model trained once per session."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from triage.data import read_labelled
from triage.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed"


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def seed_examples(taxonomy):
    return read_labelled([SEED], taxonomy)


@pytest.fixture(scope="session")
def small_seed(seed_examples):
    """Up to 12 examples per primary code: enough for a real model in a few seconds."""
    per = defaultdict(list)
    for ex in seed_examples:
        if len(per[ex.primary]) < 12:
            per[ex.primary].append(ex)
    return [ex for exs in per.values() for ex in exs]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, taxonomy, small_seed):
    from training.train import TrainParams, fit_model
    from triage.artifacts import save_model

    directory = tmp_path_factory.mktemp("models")
    model, cv = fit_model(small_seed, taxonomy, params=TrainParams(folds=3))
    save_model(model, directory, training_data={"examples": len(small_seed)}, metrics={"cv": cv})
    return directory


@pytest.fixture(scope="session")
def triager(models_dir, taxonomy):
    from triage.pipeline import Triager

    return Triager.from_models_dir(models_dir, taxonomy=taxonomy)
