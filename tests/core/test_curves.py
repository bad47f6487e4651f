"""The Network tab's curves: numpy copies of the trainer's metrics made a chunk at a time, equal
to a plain PyTorch loop's losses and gradient norms, and never changed by later chunks."""

from __future__ import annotations

import numpy as np
import pytest

from gradviz.nets.curves import CurveRecorder, smoothed
from gradviz.nets.trainer import Metrics, Trainer
from tests.core.test_nets import TRAINED, plain_loop


def moving_average(values: list[float], keep: float) -> list[float]:
    """The textbook exponential moving average, started at the first value."""
    out, average = [], values[0]
    for value in values:
        average = keep * average + (1 - keep) * value
        out.append(average)
    return out


def test_curves_made_chunk_by_chunk_equal_a_plain_loop() -> None:
    trainer = Trainer(TRAINED)
    recorder = CurveRecorder()
    shown = []
    for chunk in (1, 7, 3, 12):  # uneven chunks, as Play runs them
        trainer.step(chunk)
        trainer.evaluate()
        shown.append(recorder.update(trainer.metrics))
    norms: dict[str, list[float]] = {}
    _, losses = plain_loop(TRAINED, 23, norms)
    last = shown[-1]
    np.testing.assert_array_equal(last.steps, np.arange(1, 24))
    np.testing.assert_allclose(last.batch_loss, losses, atol=1e-6)
    assert set(last.grad_norms) == set(norms) == {"model.0", "model.3", "model.6"}
    for name, expected in norms.items():
        np.testing.assert_allclose(last.grad_norms[name], expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(
            last.smoothed_grad_norms[name], moving_average(expected, 0.9), rtol=1e-5, atol=1e-7
        )
    # after each chunk (as Step does), and once an epoch (9 steps of 10 of the 90 points)
    np.testing.assert_array_equal(last.eval_steps, [1, 8, 9, 11, 18, 23])
    np.testing.assert_array_equal(last.train_loss, trainer.metrics.train_loss)
    np.testing.assert_array_equal(last.test_accuracy, trainer.metrics.test_accuracy)
    # an earlier picture still shows what it showed (later chunks wrote past its end)
    first = shown[0]
    assert len(first.batch_loss) == 1 and first.batch_loss[0] == pytest.approx(losses[0], abs=1e-6)
    np.testing.assert_allclose(shown[1].batch_loss, losses[:8], atol=1e-6)
    assert not last.batch_loss.flags.writeable


def test_a_new_run_starts_the_curves_over() -> None:
    recorder = CurveRecorder()
    old = Metrics(steps=[1, 2, 3], batch_loss=[3.0, 2.0, 1.0], grad_norms={"model.0": [1, 2, 3]})
    recorder.update(old)
    new = Metrics(steps=[1], batch_loss=[9.0], grad_norms={"model.0": [5.0], "model.2": [4.0]})
    curves = recorder.update(new)
    np.testing.assert_array_equal(curves.batch_loss, [9.0])
    assert {k: list(v) for k, v in curves.smoothed_grad_norms.items()} == {
        "model.0": [5.0],
        "model.2": [4.0],
    }


def test_smoothing_matches_the_textbook_average() -> None:
    values = list(np.random.default_rng(0).random(50))
    np.testing.assert_allclose(smoothed(values), moving_average(values, 0.9))
    assert len(smoothed([])) == 0


def test_the_whole_sets_are_measured_once_an_epoch_whatever_the_chunks() -> None:
    """Play trains in chunks as long as the machine's speed allows: the training and test
    losses are measured at the same steps however the steps were chunked, and are a plain
    PyTorch loop's model's losses after that many steps."""
    import torch

    from tests.core.test_nets import trained_reference

    whole, chunked = Trainer(TRAINED), Trainer(TRAINED)
    whole.step(40)
    for chunk in (3, 11, 1, 25):
        chunked.step(chunk)
    assert whole.eval_every == 9  # one epoch: 90 training points in batches of 10
    assert whole.metrics.eval_steps == chunked.metrics.eval_steps == [9, 18, 27, 36]
    assert whole.metrics.test_loss == chunked.metrics.test_loss
    assert whole.metrics.train_accuracy == chunked.metrics.train_accuracy
    reference, features, target = trained_reference(18)
    with torch.no_grad():
        test = torch.nn.functional.binary_cross_entropy_with_logits(
            reference(features[:30]), target[:30, None]
        )
    assert whole.metrics.test_loss[1] == pytest.approx(test.item(), abs=1e-6)
    whole.evaluate()  # at step 40: a new point; again at the same step: none
    whole.evaluate()
    assert whole.metrics.eval_steps == [9, 18, 27, 36, 40]
