"""The frame path's threads and slots: the pipeline, the latest-frame slot, the pose feed, the output size.

No aiortc and no asyncio here (checked by import-linter): the loop side of a frame is mirror/rtc/."""
