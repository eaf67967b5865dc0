"""The swarm of simulated quizbot players: they read deliveries, think and answer."""
