"""timechat core library: all the logic, no printing."""
__version__ = "0.1.0"
