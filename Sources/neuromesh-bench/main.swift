import NeuromeshCLI
print("stub")
