"""`timechat ui`: a local web page to watch a video, ask the model about it, and see the answers on its timeline."""
