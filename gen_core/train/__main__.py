from gen_core.train.cli import main

main()
