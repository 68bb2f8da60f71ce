"""Every ``st.session_state`` key the app keeps between reruns, with what it holds, in one place.

Widget keys (a slider's, a button's) stay beside their widgets; these are the values the app
itself stores, read and written by more than one function.
"""

from __future__ import annotations

ACTIVE_MODELS = "active_models"  # [model stem]: the chosen models, the first is a page's model
VIEWS = "views"  # {model stem: ui.state.View}: each model's Explore view
URL_APPLIED = "_url_applied"  # set once the link this tab was opened with (or a bookmark) is applied
URL_NOTICES = "_url_notices"  # (page, [notice]): what applying the opened link reported
SECOND_SEED = "second_seed"  # Interpolate's other endpoint, carried by the link as seed2=
# (a, b): Interpolate's two dataset images from an opened link (images=a,b), checked on the page
LINKED_IMAGES = "linked_images"
LINKED_MODEL = "linked_model"  # the Latent Map's second model (a stem), carried by the link as model2=
LINKED_PICK = "linked_model_pick"  # its picker's widget key, dropped when a link sets the model
LINKED_SOURCE = "linked_source"  # where the linked maps' chosen points come from: "a", "b" or "class"
LINKED_OVERLAYS = "linked_overlays"  # {linked chart key: [point index]}: the points it draws lit up
MAP_SELECTION = "map_selection"  # {model stem: the mean latent [D] of the last map selection}
LIVE_DECODING = "live_decoding"  # Explore's "Live" toggle: decode in the page (True) or on the server
UPLOADS = "uploaded_models"  # {shown name: ui.catalog.UploadedModel}: models uploaded in this tab
# (upload ids of the files in the uploader, {upload ids of one model's files: (added, message)})
TAKEN_UPLOADS = "taken_uploads"
# (upload ids, digest, gen_core.data.ImageData, refusal): pictures uploaded as this tab's probe set
PROBE_UPLOAD = "probe_upload"
OWN_IMAGE = "own_image"  # (digest, picture, image [C, H, W]): the user's photo or drawing
OWN_LATENTS = "own_latents"  # {(model identity, image digest): z [D]}: its latent per model
BOOKMARKS = "bookmarks"  # [{"name", "page", "params"}]: this tab's saved views, in presenting order
BOOKMARK_INDEX = "bookmark_index"  # the bookmark presenting now
PRESENTING = "presenting"  # presenter mode is on (from a link's present=1, or the bookmarks)
BOOKMARKS_IMPORTED = "bookmark_imported"  # the file id of the bookmarks file already imported
BOOKMARK_NAME = "bookmark_name"  # the name typed for the next bookmark (emptied once it is made)


def timeline_snapshot(stem: str) -> str:
    """The snapshot of ``stem``'s training timeline that Explore shows (its slider's key)."""
    return f"timeline_snapshot_{stem}"


def map_build_started(stem: str) -> str:
    """When this tab started building ``stem``'s whole-dataset map (``time.monotonic()``)."""
    return f"map_build_started_{stem}"
