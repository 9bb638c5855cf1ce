"""The upload engine: task queue, states, planning, checkpoints, worker thread pools.

Qt's core module only, no widgets; requests go through ``cosdesk.cos.CosClient``.
Start with :class:`cosdesk.engine.queue.UploadQueue`.
"""
