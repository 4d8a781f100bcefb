"""wikigym: a gym for SemanticWiki's wiki agent.

The package follows one data flow: repos -> tools -> simulator -> trajectories -> verifier -> trainer.
Heavy stacks (torch, trl, anthropic) are imported only where they are used, so the core stays light.
"""

__version__ = "0.1.0"
