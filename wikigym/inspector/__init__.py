"""Looking at recorded episodes: the terminal stepper and the static HTML inspector site.

This sits at the end of the data flow (it may show verifier findings), and only reads trajectories.
"""
