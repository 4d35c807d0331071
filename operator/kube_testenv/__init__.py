"""Provision and run a real kube-apiserver + etcd (built from pinned Go modules) for tests and the demo."""
