"""The BERT-class zoo model: what its description declares (three int64
inputs of 128 tokens, two outputs) and its seeded build, deterministic, on
a tiny config of the same class (the zoo's takes longer than a unit test
should)."""

import dataclasses
import unittest

import support  # noqa: F401  (puts dli_models on the path)
from dli_models import common, description
from dli_models.steps import reference

MODEL = "bert_mini"
TINY = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 64,
        "max_position_embeddings": 16}


def has_transformers() -> bool:
    return common.interpreter_path(reference.MODELS[MODEL].venv).exists()


class ZooBertDescriptionTest(unittest.TestCase):

    def test_three_int64_inputs_and_two_outputs(self):
        zoo = reference.zoo_description(MODEL)
        config = zoo["weights"]["config"]
        self.assertEqual(zoo["task"], "generic")
        self.assertEqual(zoo["preprocessing"], "none")
        self.assertIsNotNone(reference.MODELS[MODEL].seed)
        self.assertEqual(
            [(entry["name"], entry["shape"], entry["dtype"], entry["kind"])
             for entry in zoo["inputs"]],
            [("input_ids", [-1, 128], "int64", "token_ids"),
             ("attention_mask", [-1, 128], "int64", "mask"),
             ("token_type_ids", [-1, 128], "int64", "segment_ids")])
        self.assertEqual(zoo["inputs"][0]["vocab_size"], config["vocab_size"])
        hidden = config["hidden_size"]
        self.assertEqual([(entry["name"], entry["shape"])
                          for entry in zoo["outputs"]],
                         [("last_hidden_state", [-1, 128, hidden]),
                          ("pooler_output", [-1, hidden])])
        for entry in zoo["inputs"]:
            description.checked_input(entry, MODEL)


@unittest.skipUnless(has_transformers(), "the transformers venv is missing: "
                     "run scripts/setup.sh")
class ZooBertBuildTest(unittest.TestCase):

    def build(self, seed: int):
        tiny = dataclasses.replace(reference.MODELS[MODEL], seed=seed,
                                   config=dict(reference.MODELS[MODEL].config,
                                               **TINY))
        return reference.seeded_network(tiny)

    def test_same_seed_same_weights_and_outputs(self):
        import torch
        first, second, other = self.build(0), self.build(0), self.build(1)
        for (name, a), (_, b), (_, c) in zip(first.state_dict().items(),
                                             second.state_dict().items(),
                                             other.state_dict().items()):
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
        self.assertFalse(torch.equal(first.embeddings.word_embeddings.weight,
                                     other.embeddings.word_embeddings.weight))
        inputs = description.synthetic_inputs(
            [dict(entry, shape=[-1, 16], vocab_size=TINY["vocab_size"])
             if entry["kind"] == "token_ids" else dict(entry, shape=[-1, 16])
             for entry in reference.zoo_description(MODEL)["inputs"]],
            2, description.SYNTHETIC_SEED)
        with torch.no_grad():
            states, pooled = first(*map(torch.from_numpy, inputs))
            again, _ = second(*map(torch.from_numpy, inputs))
        self.assertEqual(list(states.shape), [2, 16, TINY["hidden_size"]])
        self.assertEqual(list(pooled.shape), [2, TINY["hidden_size"]])
        torch.testing.assert_close(states, again, rtol=0, atol=0)
        self.assertTrue(torch.isfinite(states).all())


if __name__ == "__main__":
    unittest.main()
