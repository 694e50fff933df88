"""Export a sentence-transformers BERT model to one ONNX file for ``search.encoder.OnnxEncoder``.

    python -m search.onnx_export MODEL_DIR OUT_FILE [--int8]

Run in a child process by the encoder: it needs PyTorch and transformers, which a server on
ONNX Runtime never loads. The steps, each chosen by measurement on this kind of machine:

1. trace the transformer with eager attention (the default SDPA attention exports to a graph
   that ONNX Runtime cannot fuse, and runs at about half the speed);
2. fuse attention, GELU and layer norms with ONNX Runtime's BERT optimiser;
3. with ``--int8``, quantise the weights to int8 per output channel (per-tensor int8 is as fast
   but drops the worst cosine to the float vectors from 0.99 to 0.86);
4. check the result against PyTorch on fixed texts and refuse a file whose vectors stray.

The file appears under its final name only when complete and checked.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from search.encoder import mean_pooled, model_inputs, sentence_tokenizer

# Texts of the kinds the model meets: headlines, passages, short queries.
CHECK_TEXTS = [
    "EpCAM CAR-T gastric",
    "FDA grants Breakthrough Therapy Designation to a KRAS G12C inhibitor in non-small cell lung cancer",
    "The Phase 2 trial met its primary endpoint: objective response rate was 41% (95% CI 30-52) in 88 "
    "evaluable patients, with a median duration of response of 11.2 months and no new safety signals.",
    "China's CDE cleared the IND application for a bispecific antibody targeting CLDN18.2 and CD3.",
    "orphan drug designation pancreatic cancer",
    "Vitamin D supplementation did not reduce the incidence of invasive cancer in older adults.",
]
# The worst cosine to PyTorch's vector a file may give on CHECK_TEXTS.
MIN_COSINE = {False: 0.9999, True: 0.98}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("model_dir", type=Path)
    arguments.add_argument("out_file", type=Path)
    arguments.add_argument("--int8", action="store_true", help="quantise the weights to int8")
    options = arguments.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    options.out_file.parent.mkdir(parents=True, exist_ok=True)
    model = transformer(options.model_dir)
    with tempfile.TemporaryDirectory(dir=options.out_file.parent) as work:
        exported = export(model, options.model_dir, Path(work), options.int8)
        worst = worst_cosine(model, options.model_dir, exported)
        if worst < MIN_COSINE[options.int8]:
            sys.exit(f"The ONNX export's vectors stray from PyTorch's (worst cosine {worst:.4f}); not using it.")
        os.replace(exported, options.out_file)
    print(f"exported {options.out_file} (worst cosine to PyTorch {worst:.4f})")


def export(model, model_dir: Path, work: Path, quantised: bool) -> Path:
    """Trace ``model`` (the transformer of ``model_dir``), fuse and (optionally) quantise; the
    path of the final graph inside ``work``."""
    from onnxruntime.transformers.optimizer import optimize_model

    names = ["input_ids", "attention_mask", "token_type_ids"]
    traced = work / "traced.onnx"
    with torch.no_grad():
        torch.onnx.export(
            KeywordCall(model).eval(),
            tuple(torch.tensor(array) for array in tokenised(model_dir, CHECK_TEXTS[:2]).values()),
            str(traced),
            dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript and gives a slower graph
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]},
            opset_version=17,
        )
    config = model.config
    fused = optimize_model(
        str(traced), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused_file = work / "fused.onnx"
    fused.save_model_to_file(str(fused_file))
    if not quantised:
        return fused_file
    return quantise(fused_file, work / "int8.onnx")


def quantise(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of the weights, per output channel."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        # The fused graph's new tensors carry no type information for the quantiser to read.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return target


def transformer(model_dir: Path):
    """The model's transformer, in eval mode, with attention the exporter turns into fusable ops."""
    from transformers import AutoModel

    return AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()


class KeywordCall(torch.nn.Module):
    """The transformer called by keyword (transformers 5 rejects these arguments by position),
    giving one output, the token vectors: what the tracer records."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return output.last_hidden_state


def tokenised(model_dir: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """The model inputs for ``texts``, tokenised exactly as the ONNX encoder does."""
    return model_inputs(sentence_tokenizer(model_dir), texts)


def worst_cosine(model, model_dir: Path, onnx_file: Path) -> float:
    """The lowest cosine, over CHECK_TEXTS, between the ONNX file's pooled vectors and those of
    ``model`` (the transformer of ``model_dir``) on PyTorch."""
    import onnxruntime

    inputs = tokenised(model_dir, CHECK_TEXTS)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    from_onnx = session.run(None, inputs)[0]
    with torch.no_grad():
        from_torch = model(**{name: torch.tensor(array) for name, array in inputs.items()})
    from_torch = from_torch.last_hidden_state.numpy()
    pooled = [mean_pooled(hidden, inputs["attention_mask"]) for hidden in (from_onnx, from_torch)]
    return float(np.min(np.sum(pooled[0] * pooled[1], axis=1)))


if __name__ == "__main__":
    main()
