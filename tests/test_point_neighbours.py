"""A mapped point's nearest latents and how many of them its map keeps near it."""

from __future__ import annotations

import numpy as np
import pytest

from gen_core.maps.neighbours import COSINE, EUCLIDEAN, distances_from, nearest_to, neighbours_on_map


def on_a_line(*xs: float) -> np.ndarray:
    return np.array([[x, 0.0] for x in xs])


def test_the_nearest_points_come_nearest_first_without_the_point_itself():
    points = on_a_line(0, 1, 3, 6, 10)
    indices, distances = nearest_to(points, 1, 3)
    assert indices.tolist() == [0, 2, 3]
    np.testing.assert_allclose(distances, [1, 2, 5])


def test_equal_distances_are_ordered_by_index():
    points = on_a_line(5, 4, 6, 3, 7)
    assert nearest_to(points, 0, 4)[0].tolist() == [1, 2, 3, 4]


def test_cosine_distance_compares_directions_only():
    points = np.array([[1.0, 0.0], [10.0, 0.5], [0.9, 0.9], [0.0, 1.0]])
    assert nearest_to(points, 0, 1, EUCLIDEAN)[0].tolist() == [2]  # the closest point
    indices, distances = nearest_to(points, 0, 3, COSINE)
    assert indices.tolist() == [1, 2, 3]  # the closest direction first; a right angle last
    np.testing.assert_allclose(distances[[0, 2]], [1 - 10 / np.hypot(10, 0.5), 1.0])


def test_a_zero_latent_is_at_cosine_distance_one_from_every_point():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [-2.0, 3.0]])
    np.testing.assert_allclose(distances_from(points, 0, COSINE), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(distances_from(points, 1, COSINE)[0], 1.0)


def test_no_more_neighbours_than_other_points():
    assert nearest_to(on_a_line(0, 1, 2), 2, 8)[0].tolist() == [1, 0]
    indices, distances = nearest_to(on_a_line(4), 0, 8)
    assert indices.size == 0 and distances.size == 0


def test_the_map_keeps_the_neighbours_it_draws_near_the_point():
    latents = on_a_line(0, 1, 2, 3, 4, 5)  # point 0's two nearest latents: 1 and 2
    spread = on_a_line(0, 100, 1, 2, 50, 60)  # on this map, its two nearest points are 2 and 3
    found = neighbours_on_map(latents, spread, 0, k=2)
    assert found.indices.tolist() == [1, 2] and found.kept_on_map == 1
    assert neighbours_on_map(latents, latents * 3, 0, k=2).kept_on_map == 2  # a faithful map keeps both
    assert neighbours_on_map(latents, on_a_line(0, 9, 8, 1, 2, 3), 0, k=2).kept_on_map == 0


@pytest.mark.parametrize(("call", "error", "names"), [
    (lambda: nearest_to(on_a_line(0, 1), 2, 1), IndexError, "point 2 is not on the map (2 points)"),
    (lambda: nearest_to(on_a_line(0, 1), -1, 1), IndexError, "point -1"),
    (lambda: distances_from(on_a_line(0, 1), 0, "manhattan"), ValueError, "unknown metric 'manhattan'"),
    (lambda: neighbours_on_map(on_a_line(0, 1, 2), on_a_line(0, 1), 0), ValueError,
     "3 latents but 2 map points"),
])
def test_a_point_off_the_map_an_unknown_metric_or_mismatched_maps_are_refused(call, error, names):
    with pytest.raises(error, match=names.replace("(", r"\(").replace(")", r"\)")):
        call()
