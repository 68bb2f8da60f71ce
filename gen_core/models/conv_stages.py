"""How many stride-2 stages a conv net of our families takes for a picture size: one rule for all.

Every conv encoder, discriminator body and decoder here halves (or doubles) the picture with 4x4,
stride-2, padding-1 convolutions between the picture and a small base grid that a dense layer
reads or writes. Two stages suit 28x28 (a 7x7 base); a larger picture gets more, so the dense
layer next to the base stays small: at 64x64 two stages would leave a 16x16 base, and the dense
layers to and from it would hold most of the model's parameters.
"""

from __future__ import annotations

from typing import NamedTuple

MIN_STAGES = 2  # what every shipped 28x28 model was trained with
MAX_BASE_SIDE = 8  # a base side above this gets another stage, when it halves evenly


class ConvStages(NamedTuple):
    """``count`` stride-2 stages between a picture and its ``base_height`` x ``base_width`` grid."""

    count: int
    base_height: int
    base_width: int

    @property
    def base_pixels(self) -> int:
        return self.base_height * self.base_width

    def widths(self, first: int) -> list[int]:
        """Channels of each stage from the picture inwards: ``first``, then doubling."""
        return [first * 2**stage for stage in range(self.count)]


def conv_stages(image_shape: tuple[int, int, int]) -> ConvStages:
    """The stages for pictures of ``image_shape`` ``(C, H, W)`` (H and W divisible by 4): two, then
    one more while both sides after the stages so far are above 8 and even.

    28x28: 2 (7x7 base); 32x32: 2 (8x8); 64x64: 3 (8x8); 128x128: 4 (8x8).
    """
    _, height, width = image_shape
    count, sides = MIN_STAGES, (height // 2**MIN_STAGES, width // 2**MIN_STAGES)
    while all(side > MAX_BASE_SIDE and side % 2 == 0 for side in sides):
        count, sides = count + 1, (sides[0] // 2, sides[1] // 2)
    return ConvStages(count, *sides)
