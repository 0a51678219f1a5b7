from timechat_cli.main import main

main()
