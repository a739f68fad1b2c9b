"""Join MP4 parts into one MP4 without encoding anything again.

The parts are what :class:`coach.media.video.VideoWriter` wrote for
consecutive pieces of one video (H.264, the same size and settings), each
with its own timestamps starting at 0; :func:`join_mp4` copies their
packets, in order, into one container, moving each part to its place in time
(``offset_ms``), so the result plays as if it had been encoded in one go
(apart from a keyframe where each part begins). For ``.mp4`` the index is
put first (``+faststart``) as :class:`VideoWriter` does, so browsers start
playing before the whole file has arrived.
"""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av

from coach.media.video import (_AVIO_FLAG_WRITE, _FRAGMENTED_MP4, VideoError, _can, _ffmpeg_reason, _is_path,
                               _memory_name, _ReadBack)

__all__ = ["join_mp4", "PartsDiffer"]


class PartsDiffer(VideoError):
    """The parts were not encoded alike (codec, size or codec set-up), so
    their packets cannot share one stream."""


def _open_output(target, name: str):
    """An mp4 output container on a path or a binary file object (faststart
    where the object can be read back, else fragmented, as VideoWriter does)."""
    if _is_path(target):
        return av.open(str(target), mode="w", format="mp4", options={"movflags": "+faststart"})
    f = target
    seekable = _can(f, "seekable")
    if seekable:
        f.seek(0)
        if callable(getattr(f, "truncate", None)):
            f.truncate()
    if seekable and _can(f, "readable"):
        def io_open(url, flags, opts):
            if flags & _AVIO_FLAG_WRITE:
                raise OSError("only the output itself can be written")
            return _ReadBack(f)

        return av.open(f, mode="w", format="mp4", options={"movflags": "+faststart"}, io_open=io_open)
    return av.open(f, mode="w", format="mp4", options=dict(_FRAGMENTED_MP4))


def join_mp4(parts: Sequence[tuple[bytes, int]], target, *, name: str | None = None) -> int:
    """Write the ``(mp4_bytes, offset_ms)`` parts, in order, as one MP4 to
    ``target`` (a path or a binary file object); a part's timestamps are
    moved by ``offset_ms`` milliseconds. Returns the number of video packets
    (frames) written. Raises :class:`PartsDiffer` when the parts' streams do
    not match and :class:`VideoError` (one line) when a part cannot be read
    or the output cannot be written."""
    label = name or (Path(target).name if _is_path(target) else _memory_name(target, None))
    if not parts:
        raise VideoError(f"{label}: no video to write")
    out = None
    try:
        out = _open_output(target, label)
        ost = None
        first = None  # (codec, width, height, extradata) of the first part
        last_dts = None
        count = 0
        for data, offset_ms in parts:
            with av.open(io.BytesIO(data), mode="r") as part:
                if not part.streams.video:
                    raise VideoError(f"{label}: a part has no video stream")
                ist = part.streams.video[0]
                cc = ist.codec_context
                key = (cc.name, cc.width, cc.height, bytes(cc.extradata or b""))
                if ost is None:
                    first = key
                    ost = out.add_stream_from_template(ist)
                elif key != first:
                    raise PartsDiffer(f"{label}: the video's parts were encoded differently")
                shift = round(Fraction(int(offset_ms), 1000) / ist.time_base)
                for packet in part.demux(ist):
                    if packet.dts is None:  # the demuxer's empty flush packet
                        continue
                    packet.dts += shift
                    if packet.pts is not None:
                        packet.pts += shift
                    if last_dts is not None and packet.dts <= last_dts:
                        packet.dts = last_dts + 1  # decoding order stays strictly increasing
                        if packet.pts is not None and packet.pts < packet.dts:
                            packet.pts = packet.dts
                    last_dts = packet.dts
                    packet.stream = ost
                    out.mux(packet)
                    count += 1
        out.close()  # the trailer: faststart moves the index to the front
        out = None
        return count
    except VideoError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"{label}: cannot join the video's parts ({_ffmpeg_reason(exc)})") from None
    finally:
        if out is not None:
            try:
                out.close()
            except Exception:
                pass
